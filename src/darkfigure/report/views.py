"""How the analyst report shows numbers and tables: formatting (counts, percentages, intervals), table views with a CSV download, and messages."""

from __future__ import annotations

import base64
import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .explain import Explanation

_MAX_ROWS = 400  # rows of a table shown on the page (the CSV download has them all, up to _MAX_CSV_ROWS)
_MAX_CSV_ROWS = 5000


def _text(s: pd.Series) -> pd.Series:
    """A column as text, '' for missing values (CSV readers turn empty text cells into NaN)."""
    return s.map(lambda v: "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))


def _as_label(v) -> str:
    """A level or year as text: '' for missing, '2015' for 2015.0."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


# ----------------------------------------------------------------------------- formatting
def _f(v) -> float:
    if v is None:
        return float("nan")
    if isinstance(v, str):
        s = v.strip().lower()
        if s in ("inf", "+inf", "infinity"):
            return float("inf")
        if s == "-inf":
            return float("-inf")
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def fmt_count(v) -> str:
    """A count or N̂ as ``12,345`` ('–' when missing, '∞' when infinite)."""
    x = _f(v)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:,.0f}"


def fmt_num(v, digits: int = 1) -> str:
    """A number with `digits` decimals and thousands separators."""
    x = _f(v)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    return f"{x:,.{digits}f}"


def fmt_pct(v, digits: int = 1) -> str:
    """A share of 1 as a percentage."""
    x = _f(v)
    if not math.isfinite(x):
        return "–"
    return f"{100 * x:.{digits}f}%"


def fmt_p(v) -> str:
    """A p-value."""
    x = _f(v)
    if math.isnan(x):
        return "–"
    return "< 0.001" if x < 0.001 else f"{x:.3f}"


def fmt_interval(lo, hi, fmt=fmt_count) -> str:
    """``lo – hi`` (an open upper end reads 'no upper limit')."""
    a, b = _f(lo), _f(hi)
    if math.isnan(a) and math.isnan(b):
        return "–"
    right = "no upper limit" if math.isinf(b) else fmt(b)
    return f"{fmt(a)} – {right}"


def _csv_uri(df: pd.DataFrame) -> str:
    data = df.head(_MAX_CSV_ROWS).to_csv(index=False).encode("utf-8")
    return "data:text/csv;charset=utf-8;base64," + base64.b64encode(data).decode("ascii")


@dataclass
class TableView:
    """A table as the template shows it: text cells and a CSV download of the raw values.

    Attributes
    ----------
    id : str
        HTML id of the table.
    columns : list of str
    rows : list of list of str
    numeric : list of bool
        Right-align these columns.
    filename : str
        Name offered by the download link.
    csv_uri : str
        ``data:text/csv`` URI of the raw values.
    marked : list of bool
        Rows to highlight (e.g. the chosen model).
    note : str or None
        A line under the table.
    """

    id: str
    columns: list[str]
    rows: list[list[str]]
    numeric: list[bool]
    filename: str
    csv_uri: str
    marked: list[bool] = field(default_factory=list)
    note: str | None = None


def _view(
    id: str, shown: pd.DataFrame, raw: pd.DataFrame, filename: str, *, numeric: list[str] | None = None,
    marked: list[bool] | None = None, note: str | None = None,
) -> TableView:
    numeric = numeric or []
    rows = shown.astype(str).values.tolist()
    extra = None
    if len(rows) > _MAX_ROWS:
        extra = f"showing the first {_MAX_ROWS} of {len(rows)} rows; the download has {min(len(raw), _MAX_CSV_ROWS)}"
        rows = rows[:_MAX_ROWS]
    return TableView(
        id=id,
        columns=[str(c) for c in shown.columns],
        rows=rows,
        numeric=[c in numeric or "interval" in str(c) for c in shown.columns],  # ranges: right-aligned, unbroken
        filename=filename,
        csv_uri=_csv_uri(raw),
        marked=(marked or [False] * len(rows))[: len(rows)],
        note="; ".join(x for x in (note, extra) if x) or None,
    )


def _generic_view(id: str, df: pd.DataFrame, filename: str, *, max_rows: int = 200) -> TableView:
    """Any CSV as read (numbers rounded for reading), for files whose columns may vary."""
    shown = df.head(max_rows).copy()
    numeric = []
    for c in shown.columns:
        if pd.api.types.is_float_dtype(shown[c]):
            vals = shown[c]
            finite = vals[np.isfinite(vals)]
            if len(finite) and (finite.abs() <= 1).all():
                shown[c] = vals.map(lambda v: fmt_num(v, 3))
            else:
                shown[c] = vals.map(lambda v: fmt_num(v, 1) if abs(_f(v)) < 1000 else fmt_count(v))
            numeric.append(c)
        elif pd.api.types.is_integer_dtype(shown[c]):
            shown[c] = shown[c].map(fmt_count)
            numeric.append(c)
        else:
            shown[c] = _text(shown[c])
    note = f"showing the first {max_rows} of {len(df)} rows" if len(df) > max_rows else None
    return _view(id, shown, df, filename, numeric=numeric, note=note)


# ----------------------------------------------------------------------------- messages
@dataclass
class Message:
    """One warning or note with its explanation."""

    source: str
    text: str
    explanation: Explanation


def _split_message(text: str) -> list[str]:
    # the bootstrap joins several sentences "N of B replicates ..." with "; "
    parts = re.split(r";\s+(?=\d+ of \d+ )", text.strip())
    return [p for p in parts if p]
