"""Repeated rows in an aggregated table: refused when pasted twice, warned of or noted otherwise.

Moved from :mod:`darkfigure._history_checks` (which re-exports :func:`_repeated_rows`) to make room for the
running-id rule (tester report 15b, L3). Errors name two rows and say what to do.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from .errors import DataError

#: below this many rows a column with a value per row is not read as an identifier (a tiny table's strata)
MIN_ID_ROWS = 4


#: a column name that says identifier or row number (whole words of the name, any case; camelCase "caseId" too)
_ID_NAME = re.compile(r"(^|[^a-z])(id|ids|nr|no|number|row|rownr|index|record|key|volgnummer|nummer)([^a-z]|$)")
#: fewer rows than this and a column of consecutive whole numbers is not read as a running number (region or
#: period codes 1..k of a small table are strata)
MIN_NUMBER_ID_ROWS = 10


def _consecutive(num: np.ndarray) -> bool:
    """Whole numbers in steps of one, up or down, in row order (a running number), not calendar years."""
    if num.size < 2 or not np.all(np.isfinite(num)) or not np.all(num == np.round(num)):
        return False
    step = np.diff(num)
    years = bool(np.all((num >= 1900) & (num <= 2100)))
    return not years and bool(np.all(step == 1) or np.all(step == -1))


def _looks_like_identifier(name, values: pd.Series) -> bool:
    """Whether a column with a different value in every row reads as an identifier: a name that says so ("id",
    "record_id", "caseId", "nr", "row", ...), a running number (consecutive whole numbers, at least
    :data:`MIN_NUMBER_ID_ROWS` rows, not years), or text of one prefix and a running number ("c1", "c2", ...). A
    column of region names, codes 1..k of a small table, years or shares is a stratum, not an identifier (reviews
    of s16: such tables were refused as pasted twice)."""
    raw = str(name)
    if _ID_NAME.search(raw.lower()) or re.search(r"[a-z0-9](Id|ID|Nr|NR)$", raw):
        return True
    num = pd.to_numeric(values, errors="coerce")
    if not num.isna().any():
        return len(values) >= MIN_NUMBER_ID_ROWS and _consecutive(num.to_numpy(float))
    parts = values.astype(str).str.extract(r"^(\D*?)(\d+)$")
    if parts[1].isna().any() or parts[0].nunique(dropna=False) != 1:
        return False
    return len(values) >= MIN_ID_ROWS and _consecutive(parts[1].astype(float).to_numpy())


def _row_identifiers(frame: pd.DataFrame, spread) -> list:
    """The columns of `spread` (columns left out of the analysis) holding a different value in every row of
    `frame` and reading as an identifier (:func:`_looks_like_identifier`): a running id or row number, which tells
    no strata apart (tester report 15b, L3). Empty for tables of fewer than :data:`MIN_ID_ROWS` rows."""
    if len(frame) < MIN_ID_ROWS:
        return []
    return [c for c in spread if c in frame.columns and frame[c].nunique(dropna=False) == len(frame)
            and _looks_like_identifier(c, frame[c])]


def _repeated_rows(frame: pd.DataFrame, key: list, lists, spread=()) -> tuple[str | None, str | None]:
    """In an aggregated table: refuse one pasted twice, else the note and the warning naming repeated patterns.

    Rows that repeat an earlier row exactly (pattern, covariates and count) in half the table or more are a
    paste or export error, not separate counts (tester report 7, 28), as is the whole table twice in a row
    (12b, M1: a count of 1 in some rows hid it). Fewer repeats are summed with a warning naming two rows, since
    separate counts of one pattern (two regions, two sources) are summed rightly. A table with a count of 1 in
    most rows is one row per person written with a count column: its repeats are expected and only noted. Rows
    told apart only by columns left out (`spread`: a link folder's sex) are strata summed over, noted (15a, M1).
    A column left out that holds a different value in every row (a running id, a row number) tells no strata
    apart: it is set aside for these checks, so that a table pasted twice with its ids renumbered is still warned
    of or refused (tester report 15b, L3), and the words say so.

    Returns
    -------
    (str or None, str or None)
        The words naming the first repeat for the note ("summed ... rows"), and the warning (None when every
        count is 1); both None when no pattern repeats.

    Raises
    ------
    DataError
        Naming two such rows and the fix.
    """
    frame = frame.reset_index(drop=True)  # positions: row numbers as the user counts them (1 = first data row)
    ids = _row_identifiers(frame, spread)
    if ids:  # a running id must not hide a paste (15b, L3): compared without it
        frame = frame.drop(columns=ids)
        spread = [c for c in spread if c not in ids]
    names = ", ".join(repr(str(c)) for c in ids)
    aside = (f" (column{'s' if len(ids) > 1 else ''} {names} hold{'' if len(ids) > 1 else 's'} a different value in "
             "every row, like a row number, and did not count as telling rows apart)") if ids else ""
    whole = [*key, *spread]
    repeats = frame.duplicated(subset=whole, keep="first")
    if not repeats.any():
        if spread and frame.duplicated(subset=key).any():
            return f" (rows that differ only in the unused column(s) {', '.join(map(str, spread))})", None
        return None, None
    counts = pd.to_numeric(frame["count"])
    exact = frame.duplicated(subset=[*whole, "count"], keep="first")
    first = int(frame.index[repeats][0])
    row = frame.loc[first]
    group = frame.groupby(whole, sort=False, observed=True, dropna=False).ngroup().to_numpy()
    twin = int(np.flatnonzero(group == group[first])[0])
    pattern = ",".join(str(int(row[c])) for c in lists)
    within = f" (same {', '.join(map(str, key[len(lists):]))})" if len(key) > len(lists) else ""
    both = f"rows {twin + 1} and {first + 1} both hold pattern {pattern}{within}"
    if bool((counts == 1).mean() > 0.5):  # mostly persons, each with a count of 1: repeats expected
        return f" (e.g. {both}); if that is not meant, remove the repeated rows", None
    half = len(frame) // 2
    block = len(frame) % 2 == 0 and frame.iloc[:half].reset_index(drop=True).equals(
        frame.iloc[half:].reset_index(drop=True))  # the whole table twice, whatever its counts
    if block or int((exact & (counts > 1)).sum()) >= max(2, half):
        raise DataError(
            f"{int(exact.sum()):,} of the table's {len(frame):,} rows repeat an earlier row exactly (pattern, "
            f"covariates and count; e.g. {both}, count {int(row['count']):,}): the table seems pasted or exported "
            "twice, which would double N̂. Remove the repeated rows; if they are separate counts of the same pattern "
            f"(e.g. from two regions), add the column that tells them apart{aside}"
        )
    n_rep = int(repeats.sum())
    same = "exactly (count too)" if bool(exact.iloc[first]) else "in its capture pattern"
    warning = (
        f"{n_rep:,} row(s) of the table repeat an earlier row {same}: {both}, counts {int(counts.iloc[twin]):,} and "
        f"{int(counts.iloc[first]):,}. They were summed ({int(counts.iloc[twin]) + int(counts.iloc[first]):,}), "
        "which is right if they are separate counts of the same pattern (e.g. from two regions or sources); if a "
        f"row was entered or pasted twice, remove the repeat, as it makes N̂ too high{aside}"
    )
    return f" (e.g. {both})", warning
