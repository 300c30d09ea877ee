"""Reading registration files (CSV/TSV/Parquet/Excel) and their date columns.

Split out of :mod:`darkfigure.linkage.registrations` (which re-exports these) to keep that module short.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from .input_checks import ROWS_COUNTED, date_and_time
from .registrations import RegistrationError

_MAX_SHOWN = 5


_READERS = {".csv": "csv", ".txt": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet",
            ".xlsx": "excel", ".xls": "excel"}


def _read_file(p: Path) -> pd.DataFrame:
    if not p.exists():
        raise RegistrationError(f"registration file {str(p)!r} not found")
    kind = _READERS.get(p.suffix.lower())
    if kind is None:
        raise RegistrationError(f"cannot read {p.name!r}: use a .csv, .tsv, .parquet or .xlsx registration file")
    sep = None
    try:
        if kind in ("csv", "tsv"):
            sep = "\t" if kind == "tsv" else _separator(p)
            _refuse_duplicate_columns(p, _header(p, sep))
            # every column as text: record ids keep leading zeros, empty cells stay empty strings
            return pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False)
        if kind == "parquet":
            return pd.read_parquet(p)
        if kind == "excel":
            first = pd.read_excel(p, header=None, nrows=1).iloc[0]
            _refuse_duplicate_columns(p, [str(c).strip() for c in first[first.notna()].tolist()])  # empty: no name
        return pd.read_excel(p)
    except UnicodeDecodeError as e:
        utf16 = _utf16(p)
        if utf16:
            raise RegistrationError(
                f"registration file {p.name!r} is {utf16} text (it starts with the UTF-16 byte-order mark "
                f"{e.object[:2]!r}), not UTF-8: save it as UTF-8 (in Excel: 'Save as' > 'CSV UTF-8 (comma delimited)'; "
                "in Notepad: 'Save as' > Encoding 'UTF-8'; or iconv -f UTF-16 -t UTF-8) and run again") from None
        raise RegistrationError(
            f"registration file {p.name!r} is not UTF-8 text (byte {e.object[e.start:e.start + 1]!r} "
            f"{_where_not_utf8(p, sep) or f'at position {e.start}'}): save it as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None
    except pd.errors.EmptyDataError:
        raise RegistrationError(f"registration file {p.name!r} is empty") from None
    except RegistrationError:
        raise
    except (ValueError, OSError, ImportError) as e:
        if sep == "," and isinstance(e, pd.errors.ParserError):
            try:
                semi = _header(p, ",").__len__() == 1 and ";" in open(p, encoding="utf-8-sig").readline()
            except (OSError, UnicodeDecodeError):
                semi = False
            if semi:
                raise RegistrationError(
                    f"registration file {p.name!r} looks semicolon-separated (its header has ';' between the column "
                    f"names) but some rows have commas too ({e}): save it as comma-separated UTF-8 CSV (in Excel: "
                    "'CSV UTF-8 (comma delimited)'), or quote the cells that hold commas") from None
        raise RegistrationError(f"cannot read registration file {p.name!r}: {e}") from None


def _utf16(p: Path) -> str:
    """``"UTF-16 (little-endian)"`` or ``"UTF-16 (big-endian)"`` when the file starts with a UTF-16 byte-order mark
    (FF FE or FE FF: Excel's 'Unicode text' and many Windows tools), else "" (tester 14a, L3)."""
    try:
        with open(p, "rb") as f:
            head = f.read(2)
    except OSError:
        return ""
    return {b"\xff\xfe": "UTF-16 (little-endian)", b"\xfe\xff": "UTF-16 (big-endian)"}.get(head, "")


def _where_not_utf8(p: Path, sep: str | None) -> str:
    """Where the first byte that is not UTF-8 lies in a text file: ``"at position 160: line 5 = row 4, column
    'surname'"``.

    The decoder's position counts from the start of the chunk pandas read, so the file is decoded again here;
    "" when it cannot be read or decodes (tester 12, L4: a byte offset alone does not say which row to fix).
    """
    try:
        data = p.read_bytes()
        data.decode("utf-8")
        return ""
    except UnicodeDecodeError as e:
        pos = e.start
    except OSError:
        return ""
    line = data.count(b"\n", 0, pos) + 1
    start = data.rfind(b"\n", 0, pos) + 1
    text = f"at position {pos}: line {line}" + (f" = row {line - 1}" if line > 1 else ", the header")
    first = data[:data.find(b"\n")].decode("utf-8", "replace").lstrip("\ufeff").rstrip("\r")
    sep = sep or (";" if first.count(";") > first.count(",") else ",")  # as _separator, which the byte may stop
    if line > 1 and len(sep) == 1:
        header = first.split(sep)
        col = data[start:pos].count(sep.encode())  # cells before the byte (quoted separators aside)
        if col < len(header):
            text += f", column {header[col].strip()!r}"
    return text


def _header(p: Path, sep: str) -> list[str]:
    """The column names of a delimited text file, as written (pandas would rename a repeated one ``sex.1``)."""
    import csv

    with open(p, newline="", encoding="utf-8-sig") as f:
        return [c.strip() for c in next(csv.reader(f, delimiter=sep), [])]


def _separator(p: Path) -> str:
    """``;`` when the header line has more semicolons than commas (European spreadsheet exports), else ``,``."""
    with open(p, encoding="utf-8-sig") as f:
        line = f.readline()
    return ";" if line.count(";") > line.count(",") else ","


def _refuse_duplicate_columns(p: Path, header: list[str]) -> None:
    """Refuse a file whose header names a column twice (which value would be the person's?).

    Raises
    ------
    RegistrationError
        Naming the column(s) and the file.
    """
    seen, dup = set(), []
    for c in header:
        if c and c in seen and c not in dup:
            dup.append(c)
        seen.add(c)
    if dup:
        names = ", ".join(repr(c) for c in dup)
        raise RegistrationError(
            f"column {names} appears twice in {p.name}: keep one (or rename the other) and run link again")


def _rows(mask: np.ndarray) -> list[int]:
    return (np.flatnonzero(mask) + 1).tolist()


def _row_text(rows: Sequence[int], values: Sequence | None = None) -> str:
    shown = list(rows[:_MAX_SHOWN])
    if values is None:
        txt = ", ".join(str(r) for r in shown)
    else:
        txt = ", ".join(f"{r} ({v!r})" for r, v in zip(shown, values))
    more = len(rows) - len(shown)
    return txt + (f" and {more} more" if more > 0 else "") + f" ({ROWS_COUNTED})"


#: date cells read as missing, compared in lower case without surrounding spaces: the words database and
#: spreadsheet exports write for "no value" (as ``sex`` reads "NA", "N/A", "unknown" and names read "NULL", "n/a")
MISSING_DATES = frozenset({"na", "n/a", "n.a.", "n.a", "nan", "nat", "null", "none", "nil", "unknown", "onbekend",
                           "nvt", "n.v.t.", "?", "-", "--", "."})


def _parse_dates(df: pd.DataFrame, col: str, src: str, allow_empty: bool,
                 problems: list[str] | None = None) -> np.ndarray:
    """Normalise column `col` to ISO strings in place; return datetime64[D] (NaT where empty).

    Cells in :data:`MISSING_DATES` ("NA", "N/A", "NULL", ...) are read as empty. With `problems` a list, a
    column that cannot be read appends its message there (the column left as it is, all NaT returned) instead of
    raising, so that every bad date column of a file is reported at once (tester 12, L1).

    Raises
    ------
    RegistrationError
        (without `problems`) values that are not dates, a date of birth with a time of day, or an empty date where
        `allow_empty` is False; rows and values named.
    """
    s = df[col]
    iso = pd.Series(pd.to_datetime(s, format="%Y-%m-%d", errors="coerce"), index=s.index)
    txt = s.astype(str)
    ok_fast = (iso.notna() & (txt.str.len() == 10)).to_numpy()
    out = np.where(ok_fast, txt.to_numpy(dtype=object), "").astype(object)
    stripped = txt.str.strip()
    blank = ((stripped == "") | stripped.str.lower().isin(MISSING_DATES)).to_numpy()
    bad_rows, bad_vals, timed_rows, timed_vals = [], [], [], []
    values = s.to_numpy(dtype=object)
    for i in np.flatnonzero(~ok_fast & ~blank):  # Excel dates, dates with a time of day, and errors
        try:
            out[i], midnight = date_and_time(values[i])
        except ValueError:
            bad_rows.append(i + 1)
            bad_vals.append(str(values[i]))
            continue
        if not midnight:
            timed_rows.append(i + 1)
            timed_vals.append(str(values[i]))
    empty = out == ""
    msg = None
    if bad_rows:
        msg = (f"{src}: column {col!r} has values that are not ISO dates (YYYY-MM-DD) in row(s) "
               f"{_row_text(bad_rows, bad_vals)}{date_hint(bad_vals)}; write dates as 2021-03-17")
    elif timed_rows and col == "date_of_birth":  # a registration date keeps its day; a birth at 12:30 is a wrong column
        msg = (f"{src}: column 'date_of_birth' has a time of day other than midnight in row(s) "
               f"{_row_text(timed_rows, timed_vals)}; a date of birth is a day: export it without the time "
               "(1990-03-17), and check that the column holds the date of birth and not another date-time")
    elif empty.any() and not allow_empty:
        msg = f"{src}: column {col!r} is empty in row(s) {_row_text(_rows(empty))}; every registration needs its date"
    if msg is not None:
        if problems is None:
            raise RegistrationError(msg)
        problems.append(msg)
        return np.full(len(s), np.datetime64("NaT"), dtype="datetime64[D]")
    df[col] = out
    vals = out.copy()
    vals[empty] = "NaT"
    return vals.astype("datetime64[D]")


def date_hint(values: Sequence[str]) -> str:
    """What the first of the `values` (date cells that are no ISO dates) looks like, for the message (tester 19a, L2).

    ``"45383"`` is an Excel day number (2024-04-01), ``"20240401"`` a date written YYYYMMDD and ``"20-05-2023"``
    day-month-year; an empty string when it looks like none of these.
    """
    v = str(values[0]).strip().removesuffix(".0") if len(values) else ""
    if re.fullmatch(r"\d{5}", v) and 1 <= int(v) < 2958466:
        day = (pd.Timestamp("1899-12-30") + pd.Timedelta(days=int(v))).date().isoformat()
        return f": {v} looks like an Excel day number ({day}): format the column as a date (YYYY-MM-DD) in Excel"
    if re.fullmatch(r"(18|19|20)\d\d", v):  # a year alone (tester 21a L6: refused without a hint)
        return (f": {v} is a year alone. If the organisation records only the year, write 1 July of it ({v}-07-01) "
                "in every such cell and say so: a date of birth so written is compared by its year when many of an "
                "organisation's dates share that day; a registration date keeps its year (the year column), but its "
                "day then says little about which registrations are close in time")
    m = re.fullmatch(r"(\d{4})(\d{2})(\d{2})", v) or re.fullmatch(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})", v)
    if m is None:
        return ""
    y, mo, d = (m.group(1), m.group(2), m.group(3)) if len(m.group(1)) == 4 else (m.group(3), m.group(2), m.group(1))
    try:
        iso = date(int(y), int(mo), int(d)).isoformat()
    except ValueError:
        return ""
    how = "YYYYMMDD" if len(m.group(1)) == 4 else "day-month-year" + (
        " (or another date, if the month comes first)" if int(d) <= 12 else "")
    return f": {v} looks like {iso} written {how}"


def title_row_message(p: Path, src: str) -> str | None:
    """The message for a registration file with title line(s) above its header; None when it has none.

    Reuses the estimate reader's test for a header row below the first (:func:`darkfigure.io._later_header`); the
    later row must also hold ``record_id`` (any case), so that a file whose columns are merely misnamed still gets
    the "missing column(s)" message.
    """
    from ..io import _head_rows, _later_header

    suffix = p.suffix.lower()
    if _READERS.get(suffix) not in ("csv", "tsv", "excel"):
        return None
    try:
        sep = None if suffix in (".xlsx", ".xls") else ("\t" if suffix == ".tsv" else _separator(p))
    except (OSError, UnicodeDecodeError):
        return None
    rows = _head_rows(p, sep, None, 20)
    if len(rows) < 2:
        return None
    first = [x for x in rows[0] if x is not None]
    later = _later_header(rows, len(first))
    if later is None or "record_id" not in {x.strip().casefold() for x in later[1]}:
        return None
    r, named = later
    lines = "line 1 looks like a title" if r == 2 else f"lines 1 to {r - 1} look like a title"
    shown = " ".join(first)[:60]
    return (f"{src}: {lines} ({shown!r}); the header is on line {r} ({', '.join(named[:4])}, ...). Remove the "
            "line(s) above the header and run link again")


def match_column_case(df: pd.DataFrame, names: Sequence[str], src: str) -> pd.DataFrame:
    """Rename columns that differ from a format column only in case (``RECORD_ID``, ``Organisation``) to it.

    Surrounding spaces are already stripped. A column already named exactly is left alone.

    Raises
    ------
    RegistrationError
        Two columns that would both become one format column (``record_id`` and ``Record_ID``), named.
    """
    want = {n.casefold(): n for n in names}
    hits: dict[str, list[str]] = {}
    for c in df.columns:
        n = want.get(str(c).casefold())
        if n is not None:
            hits.setdefault(n, []).append(str(c))
    for n, cols in hits.items():
        if len(cols) > 1:
            raise RegistrationError(
                f"{src}: columns {' and '.join(map(repr, cols))} both read as {n!r} (names are read whatever their "
                "case): keep one of them, or rename the other, and run link again")
    rename = {cols[0]: n for n, cols in hits.items() if cols[0] != n}
    return df.rename(columns=rename) if rename else df


def match_covariate_case(frames: Sequence[pd.DataFrame]) -> list[str]:
    """Give a covariate the same name in every frame when the files differ only in its case (in place).

    ``EXPLOITATION`` in one file and ``exploitation`` in another would be two covariates, each empty for the other
    file's registrations; the spelling most files use is used (ties: the lower-case one, else the first met). Within one file, two columns of one name in
    different cases are refused by :func:`match_column_case` (for the format's columns) or kept apart (covariates).

    Returns
    -------
    list of str : a note per renamed column.
    """
    spellings: dict[str, list[str]] = {}
    for f in frames:
        for c in f.columns:
            spellings.setdefault(str(c).casefold(), []).append(str(c))
    # the spelling most files use; ties: the lower-case one (as the format's columns), else the first met
    first = {k: max(dict.fromkeys(v), key=lambda x: (v.count(x), x == x.lower())) for k, v in spellings.items()}
    notes = []
    for f in frames:
        own = pd.Series([str(c).casefold() for c in f.columns])
        rename = {}
        for c in f.columns:
            key = str(c).casefold()
            if (own == key).sum() > 1:
                continue  # two spellings in one file: not ours to merge
            name = first[key]
            if name != c:
                rename[c] = name
        if rename:
            f.columns = [rename.get(c, c) for c in f.columns]
            listed = ", ".join(f"{a!r} as {b!r}" for a, b in rename.items())
            notes.append(f"{f.attrs.get('source', 'registrations')}: column(s) read as in the other files, which "
                         f"write them in another case: {listed}")
    return notes
