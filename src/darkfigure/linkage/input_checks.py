"""Checks on registration files beyond the format: corrupt name cells and the sheet an Excel file was read from.

Split out of :mod:`darkfigure.linkage.registrations` (which calls them) to keep that module short.
A name of millions of characters (notes or a whole export pasted into one cell) made ``link``
hang: string comparisons are quadratic in the length (tester 11, finding 4). An Excel file
whose registrations are on another sheet than the first gave only "missing columns"
(finding 10). Dates with a time of day (:func:`date_and_time`).
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

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


def old_dates_of_birth_note(frames) -> list[str]:
    """A note counting plaintext dates of birth before 1905 (``1900-01-01``, ``1850-01-01``: a system's "unknown").

    The linkage already compares them as missing, as for pseudonymised files
    (:data:`darkfigure.linkage.prepare.PLACEHOLDER_BEFORE`); the note says so, per organisation.

    Parameters
    ----------
    frames : validated plaintext registration frames (dates as ISO text, missing as ``""``).

    Returns
    -------
    list of str (empty, or one note)
    """
    from .prepare import PLACEHOLDER_BEFORE

    cut = PLACEHOLDER_BEFORE.strftime("%Y-%m-%d")
    parts = []
    for f in frames:
        if "date_of_birth" not in f.columns:
            continue
        d = f["date_of_birth"].astype(str)
        old = ((d != "") & (d < cut)).to_numpy()
        if old.any():
            top = d[old].value_counts()
            parts.append(f"{int(old.sum()):,} in {f.attrs.get('source', 'registrations')} (e.g. {top.index[0]!r} "
                         f"x {int(top.iloc[0]):,})")
    if not parts:
        return []
    return [f"dates of birth before {cut[:4]} are read as placeholders for an unknown date and compared as missing "
            f"(as for pseudonymised files): {'; '.join(parts)}"]


def missing_truth_error(df: pd.DataFrame, truth: str) -> str | None:
    """The message for a ``--truth`` column with empty cells (naming organisation and record_id), or None.

    Parameters
    ----------
    df : the stacked registrations with ``organisation``, ``record_id`` and the `truth` column; ``attrs
        ["absent_columns"]`` (``{column: [file, ...]}``), when present, names the files without the column.
    truth : the column holding the true person (synthetic data).
    """
    lacking = df.attrs.get("absent_columns", {}).get(truth)
    if lacking:
        return (f"{' and '.join(lacking)} {'has' if len(lacking) == 1 else 'have'} no column {truth!r} (the truth "
                "column given by --truth): give every file the true person of each registration, or leave out "
                "--truth")
    t = df[truth]
    empty = (t.isna() | (t.astype(str).str.strip() == "")).to_numpy()
    if not empty.any():
        return None
    i = int(np.flatnonzero(empty)[0])
    return (f"the truth column {truth!r} is empty for {int(empty.sum()):,} registration(s), e.g. organisation "
            f"{df['organisation'].iloc[i]!r} record_id {df['record_id'].iloc[i]!r}: give every registration its true "
            "person, or leave out --truth")


def disjoint_lists_warnings(histories, nameless: pd.DataFrame | None = None) -> list[str]:
    """Warnings for pairs of organisations that share no person in the linked capture histories.

    Two lists with no person in common say nothing about their overlap: a model with
    their interaction is not identified, and without it N̂ rests on the assumption that
    they are independent. Often it means the two organisations write names or dates of
    birth differently, or cover different periods. Where one of them has no usable name on half its
    registrations or more (`nameless`: emoji, placeholders, a default identity read as missing), the warning says
    so: that is why it shares nobody (tester 18a, H2).

    Parameters
    ----------
    histories : :class:`darkfigure.histories.CaptureHistories` (its ``empty_overlaps``).
    nameless : the per-organisation table of :func:`darkfigure.linkage.prepare._nameless_by_organisation`
        (``organisation``, ``registrations``, ``without_names``, ``share``, optionally ``default_identity``), or None.

    Returns
    -------
    list of str (empty, or one warning naming the pairs)
    """
    pairs = list(histories.empty_overlaps())
    none = [f"{a!r} and {b!r}" for a, b in pairs]
    if not none:
        return []
    why = ""
    if nameless is not None and not nameless.empty:
        involved = {o for p in pairs for o in p}
        t = nameless[nameless["organisation"].isin(involved) & (nameless["share"] >= 0.5)]
        parts = [f"{r.organisation!r} has no usable name on {r.without_names:,} of its {r.registrations:,} "
                 "registrations" + (f" ({int(r.default_identity):,} of them one default identity, read as missing)"
                                    if getattr(r, "default_identity", 0) else "")
                 for r in t.itertuples(index=False)]
        why = f" ({'; '.join(parts)}: see the warning on it)" if parts else ""
    from .link_run import isolated_lists

    alone = isolated_lists(histories) if hasattr(histories, "table") else []
    # an organisation that shares nobody with any other: estimate and monitor refuse the linkage correction on
    # this folder, so the warning must not read as if they went on assuming independence (tester 21a L7)
    refuse = (f"; {', '.join(repr(o) for o in alone)} share(s) no person with any other organisation, so estimate "
              "and monitor on this folder refuse (leave it out, or link it again after checking its registrations)"
              if alone else "")
    return [f"no person was registered by both {'; by both '.join(none)}{why}: their overlap carries no information: a "
            "model with their interaction is not identified, and without it N̂ rests on assuming them independent "
            f"(with two organisations estimate refuses){refuse}. Check that these "
            "organisations write names and dates of birth alike and cover the same period"]


def read_excel_sheet(p: Path, sheet: str | int) -> pd.DataFrame:
    """One sheet of an Excel registration file, for ``link --sheet`` (name, or 0-based position as digits).

    Returns
    -------
    DataFrame with ``attrs["source"]`` = ``"<file> (sheet '<name>')"``, the name messages use.

    Raises
    ------
    RegistrationError
        An unknown sheet (naming the workbook's sheets) or a column named twice.
    """
    from .registration_files import _refuse_duplicate_columns
    from .registrations import RegistrationError

    names = excel_sheets(p)
    if isinstance(sheet, str) and sheet.isdigit() and sheet not in names:
        sheet = int(sheet)
    if (isinstance(sheet, int) and not 0 <= sheet < len(names)) or (isinstance(sheet, str) and sheet not in names):
        raise RegistrationError(f"workbook {p.name!r} has no sheet {sheet!r}; its sheets are "
                                f"{', '.join(map(repr, names))}")
    name = names[sheet] if isinstance(sheet, int) else sheet
    _refuse_duplicate_columns(p, [str(c).strip() for c in
                                  pd.read_excel(p, sheet_name=name, header=None, nrows=1).iloc[0].tolist()])
    df = pd.read_excel(p, sheet_name=name)
    df.attrs["source"] = f"{p.name} (sheet {name!r})"
    return df


# ----------------------------------------------------------------------------- dates with a time of day
#: ``YYYY-MM-DD``, optionally with a time of day (``T`` or a space, ``HH:MM[:SS[.fff]]``) and a zone (``Z``, ``+01:00``)
_DATE_TIME = re.compile(r"^(\d{4})-(\d{2})-(\d{2})"
                        r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*(?:Z|[+-]\d{2}(?::?\d{2})?)?)?$")


def date_and_time(value: Any) -> tuple[str, bool]:
    """The ISO date of a registration file's date cell, and whether any time of day it carries is midnight.

    Accepts ``YYYY-MM-DD``, with or without a time of day as exports write it
    (``2020-03-01 00:00:00``, ``2020-03-01T00:00:00``, ``2020-03-01 00:00``, ``...00:00:00.000``,
    a zone such as ``Z`` or ``+01:00``: the date is taken as written, not converted), and
    ``date``/``datetime``/pandas ``Timestamp`` values (Excel date-time cells). Day and month
    orders other than year-month-day (``03-04-2021``) are refused: they cannot be told apart.

    Parameters
    ----------
    value : str, date, datetime or Timestamp
        One non-empty cell.

    Returns
    -------
    (str, bool)
        ``("YYYY-MM-DD", midnight)``: `midnight` is False when a time of day other than
        00:00:00 was given (the caller decides whether the date alone may be kept).

    Raises
    ------
    ValueError
        Not a valid date (``2021-02-30``, ``17/05/1990``) or not a valid time (``25:00``).
    """
    if isinstance(value, datetime):  # Timestamp too
        return value.date().isoformat(), value.time() == time(0)
    if isinstance(value, date):
        return value.isoformat(), True
    s = str(value).strip()
    m = _DATE_TIME.match(s)
    if not m:
        raise ValueError(s)
    hh, mm, ss, frac = m.group(4, 5, 6, 7)
    try:
        day = date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        clock = time(int(hh or 0), int(mm or 0), int(ss or 0))  # raises for 25:00 or 12:61
    except ValueError:
        raise ValueError(s) from None
    return day.isoformat(), clock == time(0) and not (frac or "").strip("0")


#: most copies of one registration (every column but record_id the same) a file may hold: a person registered
#: twice on one day is a duplicate to link; hundreds of copies are rows an export repeated, whose names become so
#: common that they carry no evidence, whose blocks are cut, and whose date calibration has no pairs left to learn
#: from (tester 12, M3: 226 registrations x 1,300 copies ended in a numpy error)
MAX_COPIES = 50


def refuse_repeated_registrations(df: pd.DataFrame, src: str) -> None:
    """Refuse a file in which one registration (with a name or date of birth) appears more than :data:`MAX_COPIES`
    times, identical in every column but ``record_id``.

    Parameters
    ----------
    df : registrations as text, shape (n, ...), with ``record_id``.
    src : the file's name, for the message.

    Raises
    ------
    RegistrationError
        Naming the file, how many registrations are repeated and how often, the rows of the commonest one, and what
        to do (keep one row per registration).
    """
    from .registrations import RegistrationError

    if len(df) <= MAX_COPIES:
        return
    ident = [c for c in ("first_name", "surname", "date_of_birth", "tok_first_name", "tok_surname",
                         "tok_date_of_birth") if c in df.columns]
    if not ident:
        return
    # rows without a name or date of birth (anonymous registrations) may legitimately look alike
    has_id = (df[ident].astype(str) != "").any(axis=1).to_numpy()
    rest = df.drop(columns=["record_id"]).astype(str)
    h = pd.util.hash_pandas_object(rest, index=False).to_numpy()
    counts = pd.Series(h[has_id]).value_counts()
    many = counts[counts > MAX_COPIES]
    if many.empty:
        return
    rows = np.flatnonzero(has_id & (h == many.index[0])) + 1
    shown = ", ".join(str(r) for r in rows[:5])
    raise RegistrationError(
        f"{src}: {len(many):,} registration(s) appear more than {MAX_COPIES} times each, identical in every column "
        f"but record_id ({int(many.sum()):,} rows; the commonest {int(many.iloc[0]):,} times, rows {shown}, ...; "
        f"{ROWS_COUNTED}). Rows repeated by an export cannot be linked: their names become so common that they "
        "carry no evidence. Keep one row per registration (a person registered twice keeps two rows with their "
        "own dates) and run link again")


# ----------------------------------------------------------------------------- control characters
#: C0 control characters (NUL, BEL, ..., tab and line breaks too) and DEL and the C1 controls: never part of a name
_CONTROL = r"[\x00-\x1f\x7f-\x9f]"


def control_characters_note(frames) -> list[str]:
    """A note counting the cells of the identifying columns that hold control characters (tester 14a, L2).

    A NUL byte (``Joy\\x00X``) or another control character inside a name is a broken export; the names are
    compared with the character read as a space and then dropped (``joyx``), so it is noted, never silent.

    Parameters
    ----------
    frames : validated registration frames (text columns).

    Returns
    -------
    list of str (empty, or one note naming, per file and column, the count and the first record)
    """
    parts = []
    for f in frames:
        for c in ("first_name", "surname", "record_id", "date_of_birth", "sex", "nationality"):
            if c not in f.columns:
                continue
            v = f[c].astype(str)
            bad = v.str.contains(_CONTROL, regex=True).to_numpy(dtype=bool)
            if bad.any():
                i = int(np.flatnonzero(bad)[0])
                parts.append(f"{int(bad.sum()):,} in column {c!r} of {f.attrs.get('source', 'registrations')} "
                             f"(e.g. {v.iloc[i]!r}, row {i + 1}, record {f['record_id'].iloc[i]!r})")
    if not parts:
        return []
    return [f"cells with control characters (NUL bytes and the like, never part of a name): {'; '.join(parts)}; "
            f"{ROWS_COUNTED}. They are read as spaces and dropped when names are compared; check the export of "
            "these files (a wrong encoding or a binary field)"]


# ----------------------------------------------------------------------------- sparse registration years
#: a registration year holding fewer persons than both of these is warned about (tester 19a, M4/H2)
SPARSE_YEAR_PERSONS, SPARSE_YEAR_SHARE = 10, 0.01


def sparse_years_warnings(persons: pd.DataFrame) -> list[str]:
    """A warning naming registration years that hold very few persons (fewer than 10 and under 1% of them).

    Estimated by year (``estimate --year year``), such a year is a subgroup too small to bound from above, so the
    total has no upper limit and can only be published as a floor. Usually it is a wrong date (a placeholder, a
    typo in the year) or a few registrations just past the period (early January of the next year).

    Parameters
    ----------
    persons : the linked persons, with a ``year`` column (the year of each person's first registration).

    Returns
    -------
    list of str (empty, or one warning naming the years and their persons)
    """
    if "year" not in persons.columns or persons.empty:
        return []
    n = persons["year"].value_counts()
    if len(n) < 2:
        return []
    few = n[(n < SPARSE_YEAR_PERSONS) & (n < SPARSE_YEAR_SHARE * len(persons))].sort_index()
    if few.empty:
        return []
    shown = ", ".join(f"{y} ({k} person{'s' if k != 1 else ''})" for y, k in few.items())
    return [f"registration year(s) {shown} hold very few of the {len(persons):,} persons: estimated by year "
            "(--year year) such a year is too small to bound, and the total becomes a floor without an upper limit. "
            "Check those registration dates (a typo in the year, a placeholder date, registrations just past the "
            "period); if they are right, estimate without --year or leave those registrations out"]


#: fewest registrations with a value for an organisation's coding of a column to be compared with the others'
CODING_MIN_ROWS = 30
#: share of an organisation's coded registrations whose value no other organisation uses, above which it is warned
CODING_FOREIGN_SHARE = 0.8


def coding_mismatch_warnings(df: pd.DataFrame, column: str) -> list[str]:
    """A warning for each organisation that writes `column` in values no other organisation uses (tester 21a, L2).

    Police writing nationality ``NL``, ``MA``, ``PL`` where the others write ``Dutch``, ``Moroccan``, ``Polish``:
    agreement on it is then never seen between them, which weakens the linkage across them and the checks that
    count namesakes by it, silently. An organisation with at least :data:`CODING_MIN_ROWS` registrations holding a
    value, of which more than :data:`CODING_FOREIGN_SHARE` carry a value (normalised:
    :func:`~darkfigure.linkage.names.normalise_nationality`) that no other organisation writes, is named with a
    few of its values and the others'. Needs two organisations with values; else no warning.

    Parameters
    ----------
    df : DataFrame with ``organisation`` and `column` (text; "" or missing: no value).
    column : the column (``"nationality"``).

    Returns
    -------
    list of str (one warning naming every such organisation, or none)
    """
    from .names import normalise_nationality

    if column not in df.columns or "organisation" not in df.columns or df.empty:
        return []
    codes, uniq = pd.factorize(df[column].astype(object).where(df[column].notna(), ""))
    norm = np.array([normalise_nationality(v) for v in uniq] + [""], dtype=object)[np.where(codes < 0, len(uniq), codes)]
    t = pd.DataFrame({"o": df["organisation"].astype(str).to_numpy(), "v": norm})
    t = t[t["v"] != ""]
    if t["o"].nunique() < 2:
        return []
    orgs_of = t.drop_duplicates().groupby("v")["o"].nunique()
    t["only"] = t["v"].map(orgs_of).to_numpy() == 1
    by = t.groupby("o").agg(rows=("v", "size"), only=("only", "mean"))
    bad = by[(by["rows"] >= CODING_MIN_ROWS) & (by["only"] > CODING_FOREIGN_SHARE)]
    if bad.empty or len(bad) == by.shape[0] and by.shape[0] > 2:
        return []  # every organisation its own values: no common coding to point to (or each writes free text)
    parts = []
    for o in bad.index:
        mine = t.loc[t["o"] == o, "v"].value_counts().index[:4].tolist()
        other = t.loc[t["o"] != o, "v"].value_counts().index[:4].tolist()
        parts.append(f"{o!r} writes {', '.join(map(repr, mine))} ({bad.loc[o, 'only']:.0%} of its values used by no "
                     f"other organisation), the others {', '.join(map(repr, other))}")
    return [f"{column} is coded differently across organisations: {'; '.join(parts)}. Agreement on {column} is then "
            "never seen between them, which weakens the linkage across them and the checks that count namesakes by "
            f"it. Recode {column} to one system in every file (e.g. ISO 3166 codes) and link again"]

