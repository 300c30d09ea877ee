"""Checks of a table as read, before its columns get roles: a repeated header, two count columns (tester report 10).

Split from :mod:`darkfigure._history_checks` (kept under 600 lines); used by
:meth:`darkfigure.histories.CaptureHistories.from_frame`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ._history_checks import _COUNT_LIKE, _COUNT_NAMES, _is_binary, _refuse_per_person_count
from .errors import DataError


def _refuse_repeated_header(data: pd.DataFrame) -> None:
    """Refuse a row that repeats the header: a table pasted twice, header and all (tester report 10, F5).

    Checked on the cells as read (text), before any column is taken as a list or the count: such a row
    turns every column into text and the lists are no longer 0/1, which hid the cause.

    Raises
    ------
    DataError
        Naming the first such row (counted from 1 without the header, and as the file's line).
    """
    if data.shape[1] < 2 or data.shape[0] < 2 or data.columns.duplicated().any():
        return  # a name used twice is refused on its own
    hit = None
    for c in data.columns:
        s = data[c]
        if not (s.dtype == object or pd.api.types.is_string_dtype(s)):
            return  # a column of numbers cannot hold its own name
        m = s.astype(str).str.strip().str.lower().eq(str(c).strip().lower()).to_numpy()
        hit = m if hit is None else hit & m
        if not hit.any():
            return
    i = int(np.flatnonzero(hit)[0])
    raise DataError(
        f"row {i + 1} of the table (line {i + 2} of a file whose header is line 1) repeats the header "
        f"({', '.join(map(str, data.columns[:8]))}): the table seems pasted twice; remove the repeated part "
        f"(row {i + 1} onwards, if it repeats the rows above it)"
    )


def _choose_count(data: pd.DataFrame, count: str, lists, covariates) -> tuple[str, list]:
    """The count column and the other count-named columns to leave out (tester report 10, F6).

    `count` left at its default ``"count"``: the column ``count``, else the one column with
    a count's name (``Freq``, ``n``, ...). Two or more such columns are refused unless the
    covariates are named (an unnamed one would silently become a covariate). A `count` given
    by name (``--count Freq``) leaves the other count-named columns out (returned, for a note).

    Returns
    -------
    (count, spare) : the count column (possibly absent from `data`: one row per person) and
        the count-named columns to drop.

    Raises
    ------
    DataError
        A named count column that is not in `data`; two count columns without a choice;
        a column taken as the count by its name in a table of persons.
    """
    if count not in data.columns and count != "count":
        raise DataError(
            f"no count column {count!r} (count=..., --count); the columns are {list(map(str, data.columns))}. "
            "Leave --count out when each row is one person"
        )
    named = set(lists or ()) | set(covariates or ())  # a column named as a list or covariate is not the count
    found = [c for c in data.columns if str(c).strip().lower() in _COUNT_NAMES and c not in named]
    # a 0/1 column with a count's name is a list (or a covariate), not a second count
    countish = [c for c in found if not _is_binary(data[c])]
    if count == "count" and count in countish and len(countish) > 1 and covariates is None:
        other = next(str(c) for c in countish if c != "count")
        raise DataError(
            f"two count columns ({', '.join(map(str, countish))}): say which holds the counts with --count NAME "
            f"(count=... in Python), e.g. --count {other}; the other is then left out. To read 'count', which is "
            f"also the default name, drop or rename {other!r}"
        )
    if count not in data.columns and len(found) == 1:
        count = found[0]
        _refuse_per_person_count(data, count)
    elif count not in data.columns and len(found) > 1:
        raise DataError(f"several columns could be the count: {found}; name it with count=... (--count on the "
                        "command line)")
    # named covariates leave the others unused anyway (read_histories says so)
    # a 0/1 "count" is a list named as the count: from_table explains that, naming the real count column
    spare = [c for c in countish if c != count] \
        if count in data.columns and covariates is None and not _is_binary(data[count]) else []
    return count, spare


_THOUSANDS = r"\s*-?\d{1,3}(\.\d{3})+\s*"  # 1.000, 12.500, 1.000.000


def _refuse_dot_thousands(raw: pd.DataFrame, name: str) -> None:
    """Refuse a column of a ``;``-separated file whose numbers with a point all look like Dutch/German thousands.

    Spreadsheets in those locales export ``;``-separated files and may write 1000 as ``1.000``, which is read
    as 1 (the result is whole, so the fractional-count check does not see it): a silent wrong N̂ (tester 12b, M7).
    A column is refused when every value holding a point has groups of three digits after it and at least one
    ends in ``.000``.

    Parameters
    ----------
    raw : DataFrame
        The file read with every cell as text (``dtype=str``).
    name : str
        The file's name, for the message.

    Raises
    ------
    DataError
        Naming the column, the first such row (1 = first data row), its value and the fix.
    """
    for c in raw.columns:
        s = raw[c].dropna().astype(str)
        dotted = s[s.str.contains(".", regex=False)]
        if dotted.empty or not dotted.str.fullmatch(_THOUSANDS).all() or not dotted.str.strip().str.endswith(
                ".000").any():
            continue
        row = int(raw.index.get_loc(dotted.index[0]))
        val = dotted.iloc[0].strip()
        raise DataError(
            f"column {str(c)!r} of {name!r} has {val!r} in row {row + 1} ({len(dotted):,} value(s) like it): in a "
            f"';'-separated file (a Dutch or German spreadsheet export) that is {val.replace('.', '')} written with "
            f"a thousands separator, but it would be read as {float(val):g}. Save the file without thousands "
            "separators (format the cells as plain numbers, e.g. 1000), or as a ','-separated CSV"
        )


#: a numeric covariate with at least this many levels looks continuous (an age in years, an amount)
CONTINUOUS_LEVELS = 20


def continuous_warnings(frame: pd.DataFrame, levels: dict) -> list[str]:
    """Warnings for numeric covariates with many levels: each level becomes a subgroup of its own (tester 12b, L6).

    An age 0-89 read as a covariate gives 90 subgroups of a few persons each, whose intervals are clamped to
    the registered count. Not said for years (whole numbers 1800-2200), nor when most levels sit on one row
    (the identifier warning says that).

    Parameters
    ----------
    frame : DataFrame
        The aggregated rows (covariate columns and ``count``).
    levels : dict str -> sequence
        The observed levels of each covariate.

    Returns
    -------
    list of str
    """
    out = []
    for c, lv in levels.items():
        values = pd.to_numeric(pd.Series(list(lv), dtype=object), errors="coerce")
        if len(lv) < CONTINUOUS_LEVELS or values.isna().any():
            continue
        if ((values >= 1800) & (values <= 2200) & (values == values.round())).all():
            continue  # years: a long series of yearly subgroups is what a monitor estimates
        rows = frame.groupby(c, observed=True).size()
        if (rows == 1).mean() >= 0.9:  # an identifier: said by the identifier check
            continue
        out.append(
            f"covariate {str(c)!r} has {len(lv):,} numeric levels ({values.min():g} to {values.max():g}): it looks "
            "continuous (an age, an amount), and each value is estimated as a subgroup of its own, with few persons "
            "and wide or clamped intervals. Group it into a few bands (e.g. ages 0-17, 18-29, 30-49, 50+) before "
            "estimating, or leave it out of the covariates"
        )
    return out


_GROUPED = r"[1-9]\d{0,2}([.,]\d{3})+"  # 1.300, 12.450, 1,300, 1.000.000 (not 0.125)
_PLAIN = r"[+-]?\d+"


def count_like_columns(df: pd.DataFrame, count: str) -> list:
    """The columns of `df` that may hold counts: `count` and those with a count's name (``n``, ``aantal``, ...)."""
    return [c for c in df.columns if c == count or str(c).strip().lower() in _COUNT_NAMES | _COUNT_LIKE]


def refuse_grouped_count(df: pd.DataFrame, raw: pd.DataFrame | None, count: str, name: str | None,
                         lists=None, covariates=None) -> None:
    """Refuse a count column written with thousands separators (``1.300``, ``12.450``, ``1,300``; tester 19a, H4).

    A Dutch export writes 1300 as ``1.300``: read as the number 1.3 it is not whole, so a column ``aantal``
    became a covariate and each row one person (N̂ 8 for thousands, exit 0), and ``--count aantal`` quoted the
    cell as ``1.3``. A column is refused when it is the count (`count`) or has a count's name (``count``, ``n``,
    ``aantal``, ``Anzahl``, ...) and is not named as a list or covariate, and each of its cells as written is a
    whole number, at least one with ``.`` or ``,`` between groups of three digits.

    Parameters
    ----------
    df : DataFrame
        The table as read.
    raw : DataFrame or None
        The same file with every cell as text (:func:`darkfigure.io.read_text_cells`), or None: then only
        columns of `df` that hold text are checked (a data frame's numbers are not written anywhere).
    count : str
        The count column's name (``--count``; default ``"count"``).
    name : str or None
        The file's name, for the message.
    lists, covariates : sequence of str, optional
        Columns the user named: not taken as the count.

    Raises
    ------
    DataError
        Naming the column, the first such row (1 = first data row), the cell as written and the fix.
    """
    named = set(lists or ()) | set(covariates or ())
    for c in count_like_columns(df, count):
        if c in named:
            continue
        if raw is not None and c in raw.columns and len(raw) == len(df):
            cells = raw[c]
        elif df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
            cells = df[c]
        else:
            continue
        text = cells.dropna().astype(str).str.strip()
        text = text[text != ""]
        grouped = text.str.fullmatch(_GROUPED)
        if not grouped.any() or not (grouped | text.str.fullmatch(_PLAIN)).all():
            continue
        # a grouped cell read as a whole number ("1.000" = 1.0, a count written with three decimals by SPSS, Stata
        # or R) is a decimal, as before (review s19, M1): only cells read as a fraction or text, or with two or
        # more separators (1.000.000), are thousands
        vals = pd.to_numeric(df[c], errors="coerce").reset_index(drop=True)
        v = vals.reindex(np.flatnonzero(np.isin(cells.index, text.index))).to_numpy(dtype=float) \
            if len(vals) == len(cells) else np.full(len(text), np.nan)
        whole = np.isfinite(v) & (v == np.round(v))
        grouped = grouped & ((text.str.count(r"[.,]") >= 2) | ~whole)
        if not grouped.any():
            continue
        row = int(np.flatnonzero(cells.index == grouped[grouped].index[0])[0])
        cell = text[grouped].iloc[0]
        plain = cell.replace(".", "").replace(",", "")
        of = f" of {name!r}" if name else ""
        raise DataError(
            f"column {str(c)!r}{of} looks like the count (the persons per row) written with thousands separators: "
            f"row {row + 1} has {cell!r} ({int(grouped.sum()):,} value(s) like it), {plain} persons with a separator "
            f"between the thousands, which is not read as {plain}. Save the file without thousands separators "
            f"(format the cells as plain whole numbers, e.g. {plain}) and run again"
        )
