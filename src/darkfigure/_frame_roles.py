"""Columns and rows set aside before the columns get their roles (tester report 15b, M1, L4, L6, L7, L10).

Used by :meth:`darkfigure.histories.CaptureHistories.from_frame` (kept under 600 lines), on the table as read:

* a year stored as an Excel date (every value on 1 January) is read as the year (L6);
* in a table of persons, a column with a distinct value in (nearly) every row is an identifier (a dossier or
  record number): left out with a note, or refused when named as a covariate (M1);
* a column that is not named and holds one value in every row (a file of only women) is left out with a note;
  a column named as a covariate keeps its refusal (L10);
* with the lists named, rows of persons registered only on lists left out are dropped with a note, as
  multiple systems estimation on a subset of the lists asks (L7);
* counts written with a decimal comma ("71,0") in a column that is not named as the count are refused with
  that cause (L4).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._history_checks import MAX_AUTO_LEVELS, _is_binary, _reads_like_covariate
from .errors import DataError

__all__ = ["check_unique_names", "set_aside", "IDENTIFIER_SHARE", "MIN_ID_ROWS"]

#: share of the rows with a value of their own that makes a column an identifier
IDENTIFIER_SHARE = 0.95
#: rows a table of persons needs before a column is called an identifier
MIN_ID_ROWS = 20

_DECIMAL_COMMA = r"\s*-?\d+,\d+\s*"


def check_unique_names(data: pd.DataFrame, lists, covariates) -> None:
    """Refuse a column name used twice in the header, or a list or covariate named twice.

    Raises
    ------
    DataError
        Naming the column and the option (``--lists``, ``--covariates``).
    """
    dup = data.columns[data.columns.duplicated()]
    if len(dup):
        raise DataError(
            f"column name {dup[0]!r} appears more than once in the header: rename the columns so that each name "
            "is used once (a list or covariate cannot be told apart from its twin)"
        )
    for role, given in (("list", lists), ("covariate", covariates)):
        seen = [c for i, c in enumerate(given or ()) if c in list(given)[:i]]
        if seen:
            opt = "--lists" if role == "list" else "--covariates"
            raise DataError(f"{role} {seen[0]!r} is named twice ({role}s={list(given)}, {opt}): name each once")


def set_aside(data: pd.DataFrame, lists, covariates, count: str, year=None,
              identifiers: str = "refuse") -> tuple[pd.DataFrame, list[str]]:
    """`data` with Excel-date years read as years and the identifier, constant and left-out columns and rows removed.

    Parameters
    ----------
    data : DataFrame
        The table as read (after the header checks).
    lists, covariates : list of str or None
        As named by the user (None: found from the data).
    count : str
        The count column; absent from `data` for a table of persons (one row per person).
    year : str, optional
        The year column (``--year``): named by the user, so never left out.
    identifiers : {"refuse", "keep"}
        A named covariate that is an identifier: refused, or kept (``darkfigure strata --by`` reads such a column
        to say, stratum by stratum, that one person cannot be estimated).

    Returns
    -------
    (data, notes) : the table to read and what was done, one note per step taken.

    Raises
    ------
    DataError
        A covariate named by the user that is an identifier; a column of numbers with a decimal comma that is not
        named as the count.
    """
    notes: list[str] = []
    data, said = _excel_years(data)
    notes += said
    named = set(lists or ()) | set(covariates or ()) | ({year} if year is not None else set())
    persons = count not in data.columns
    if persons:
        _refuse_decimal_comma(data, lists, covariates, named)
        ids = [c for c in data.columns if c not in set(lists or ()) and _identifier(data, c)]
        bad = [c for c in ids if c in set(covariates or ())] if identifiers == "refuse" else []
        if bad:
            c = bad[0]
            raise DataError(
                f"covariate {c!r} has a different value in {data[c].nunique():,} of the {len(data):,} rows: it is an "
                f"identifier (a dossier or record number), which describes no group of persons. Leave it out of the "
                "covariates (--covariates, covariates=[...]); it is then ignored"
            )
        ids = [c for c in ids if c not in named] if covariates is None else []
        if ids:
            data = data.drop(columns=ids)
            notes.append(
                f"this looks like one row per person with an identifier column {', '.join(map(repr, ids))} (a "
                f"different value in nearly every row): it is ignored")
    if covariates is None:
        data, said = _drop_constant(data, lists, count, named)
        notes += said
    if lists is not None and len(lists) >= 2:  # one list: refused later, offering the other 0/1 columns
        data, said = _drop_left_out(data, list(lists), covariates, count, named)
        notes += said
    return data, notes


def _excel_years(data: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Date columns whose every value is 1 January (00:00) as whole years, with a note (tester 15b, L6)."""
    notes = []
    for c in data.columns:
        s = data[c]
        if pd.api.types.is_datetime64_any_dtype(s):
            d = s
        elif s.dtype == object and s.notna().any() and s.dropna().map(lambda v: isinstance(v, pd.Timestamp)).all():
            d = pd.to_datetime(s)
        else:
            continue
        k = d.dropna()
        if k.empty or not ((k.dt.month == 1) & (k.dt.day == 1) & (k.dt.normalize() == k)).all():
            continue
        data = data.copy() if not notes else data
        data[c] = d.dt.year.astype("Int64") if d.isna().any() else d.dt.year.astype(np.int64)
        years = sorted(k.dt.year.unique())
        notes.append(f"column {str(c)!r} holds dates, all on 1 January (a year formatted as a date in Excel): read as "
                     f"the years {years[0]}" + (f" to {years[-1]}" if len(years) > 1 else ""))
    return data, notes


def _identifier(data: pd.DataFrame, c) -> bool:
    """True when column `c` of a table of persons has a value of its own in (nearly) every row.

    A column of whole numbers could also be a count of an aggregated table whose count column was not named; it
    is an identifier only when the other columns repeat (at least a tenth of the rows share them with an earlier
    row), as the rows of persons do.
    """
    s = data[c]
    n = len(data)
    if n < MIN_ID_ROWS or _is_binary(s) or s.nunique(dropna=True) < IDENTIFIER_SHARE * n:
        return False
    rest = [x for x in data.columns if x != c]
    if not rest:
        return False
    numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
    if numeric or s.dropna().astype(str).str.fullmatch(_DECIMAL_COMMA).all():
        return bool(data.duplicated(subset=rest).sum() >= 0.1 * n)
    return True


def _refuse_decimal_comma(data: pd.DataFrame, lists, covariates, named: set) -> None:
    """Refuse a column that would be a covariate with too many levels, all numbers with a decimal comma (L4)."""
    if covariates is not None:
        return
    for c in data.columns:
        if c in named:
            continue
        s = data[c].dropna()
        if s.empty or pd.api.types.is_numeric_dtype(s) or s.nunique() <= MAX_AUTO_LEVELS:
            continue
        text = s.astype(str)
        if text.str.fullmatch(_DECIMAL_COMMA).all():
            raise DataError(
                f"column {str(c)!r} has {s.nunique()} distinct values, too many for a covariate, and they are "
                f"numbers written with a decimal comma ({text.iloc[0].strip()!r}): is it the number of persons per "
                f"row? Then name it as the count (--count {c}, count=...), and save the counts as whole numbers "
                "without a decimal part (in the spreadsheet: format the cells as numbers with 0 decimals)"
            )


def _drop_constant(data: pd.DataFrame, lists, count: str, named: set) -> tuple[pd.DataFrame, list[str]]:
    """Columns that would be default covariates and hold one value in every row (persons counted), left out (L10).

    A 0/1 column is taken as a list when the lists are not named, and is left alone; so are named columns.
    """
    rows = data
    if count in data.columns:
        w = pd.to_numeric(data[count], errors="coerce")
        rows = data[~(w <= 0)]  # rows of no persons do not make a level
    if len(rows) < 2:
        return data, []
    drop = []
    for c in data.columns:
        if c == count or c in named or c in set(lists or ()):
            continue
        s = rows[c]
        if s.isna().any() or s.nunique() != 1 or (lists is None and _is_binary(s)):
            continue
        drop.append(c)
    if not drop:
        return data, []
    shown = ", ".join(f"{str(c)!r} ({_plain(rows[c].iloc[0])!r})" for c in drop)
    return data.drop(columns=drop), [
        f"column(s) {shown} hold one value in every row: they cannot split the persons into groups, so they are not "
        "used as covariates (name the covariates with --covariates to choose them)"]


def _plain(v):
    """A numpy scalar as its Python value (2021, not np.int64(2021))."""
    return v.item() if hasattr(v, "item") else v


def _drop_left_out(data: pd.DataFrame, lists: list, covariates, count: str, named: set) -> tuple[pd.DataFrame, list]:
    """Rows of persons registered only on 0/1 columns not named as lists, dropped with their columns (L7).

    With the lists named, a row that none of them registered is a person seen only by lists left out (an
    estimate from a subset of the lists, which is legitimate). It is dropped, with a note, when every such row
    has a 1 in a 0/1 column that is neither named nor reads like a property of the person; those columns are the
    lists left out and are not used as covariates. Otherwise nothing is done (the all-zero row is refused later).
    """
    if any(c not in data.columns or not _is_binary(data[c]) for c in lists):
        return data, []  # an unknown or badly coded list is refused later, with its own message
    x = data[lists].astype(float).to_numpy()
    zero = x.sum(axis=1) == 0
    if count in data.columns:
        w = pd.to_numeric(data[count], errors="coerce").to_numpy(dtype=float)
        zero &= ~(w <= 0)
    else:
        w = np.ones(len(data))
    if not zero.any():
        return data, []
    other = [c for c in data.columns if c != count and c not in named and _is_binary(data[c])]
    if covariates is None:
        other = [c for c in other if not _reads_like_covariate(c)]
    if not other:
        return data, []
    seen = data.loc[zero, other].astype(float).to_numpy().sum(axis=1) > 0
    if not seen.all():
        return data, []
    left = [c for c in other if (data.loc[zero, c].astype(float) > 0).any()]
    keep_cols = [c for c in data.columns if c not in other] if covariates is None else list(data.columns)
    out = data.loc[~zero, keep_cols]
    persons = float(np.nansum(w[zero]))
    who = f" ({persons:,.0f} persons)" if count in data.columns else ""
    note = (f"{int(zero.sum()):,} row(s){who} hold persons registered only on lists you left out "
            f"({', '.join(map(str, left))}): they are dropped for this analysis, as persons on none of the lists "
            f"named ({', '.join(map(str, lists))}) are not observed by them")
    if covariates is None:
        note += (f"; column(s) {', '.join(map(repr, other))}, coded 0/1, are taken as lists left out and not used "
                 "as covariates (name the covariates with --covariates if one of them is one)")
    return out, [note]
