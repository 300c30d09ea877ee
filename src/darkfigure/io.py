"""Reading capture-history data from files, data frames or bundled dataset names."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pandas as pd

from . import datasets
from ._history_checks import _as_pandas
from ._reading_checks import _refuse_dot_thousands, count_like_columns, refuse_grouped_count
from .histories import CaptureHistories, DataError

__all__ = ["read_table", "read_histories", "read_text_cells", "plain_numbers"]

_READERS = {
    ".csv": pd.read_csv,
    ".txt": pd.read_csv,
    ".tsv": lambda p: pd.read_csv(p, sep="\t"),
    ".parquet": pd.read_parquet,
    ".pq": pd.read_parquet,
    ".xlsx": pd.read_excel,
    ".xls": pd.read_excel,
}


def _excel_sheets(p: Path) -> list[str]:
    try:
        return [str(x) for x in pd.ExcelFile(p).sheet_names]
    except (ValueError, OSError, ImportError, KeyError):
        return []


def _header(p: Path, reader, sep: str | None, sheet) -> list:
    """The header row as written in the file (pandas renames a repeated name 'A' to 'A.1')."""
    rows = _head_rows(p, sep, sheet, 1)
    return [x for x in rows[0] if isinstance(x, str)] if rows else []


def _head_rows(p: Path, sep: str | None, sheet, nrows: int) -> list[list]:
    """The first `nrows` rows of a CSV/TSV/Excel file as written (no header row; empty cells are None)."""
    suffix = p.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            # python engine: title rows with fewer cells than the table would stop the C parser
            frame = pd.read_csv(p, sep=sep or ("\t" if suffix == ".tsv" else ","), header=None, nrows=nrows, dtype=str,
                                skip_blank_lines=False, engine="python", names=range(_width(p, sep, suffix)))
        elif suffix in (".xlsx", ".xls"):
            frame = pd.read_excel(p, header=None, nrows=nrows, dtype=str, sheet_name=0 if sheet is None else sheet)
        else:
            return []
    except (ValueError, OSError, ImportError, UnicodeDecodeError, pd.errors.ParserError):
        return []
    out = []
    for row in frame.itertuples(index=False):
        cells = [x if isinstance(x, str) and x.strip() else None for x in row]
        while cells and cells[-1] is None:
            cells.pop()
        out.append(cells)
    return out


def _width(p: Path, sep: str | None, suffix: str) -> int:
    """The largest number of cells in a row among the first lines of a text table."""
    s = sep or ("\t" if suffix == ".tsv" else ",")
    with open(p, encoding="utf-8-sig", errors="replace") as f:
        lines = [f.readline() for _ in range(50)]
    return max(1, *(line.count(s) + 1 for line in lines if line))


def _separator(p: Path) -> str | None:
    """The separator of a text table whose first line holds no comma: ';', tab or '|' (the most frequent)."""
    with open(p, encoding="utf-8-sig", errors="replace") as f:
        first = f.readline()
    counts = {s: first.count(s) for s in (";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else None


def read_text_cells(path: str | Path) -> pd.DataFrame:
    """A CSV/TSV file with every cell as text (empty cells as ""), its separator found as :func:`read_table` finds it.

    A file whose first line holds no comma is read with ';', tab or '|' (the most frequent in that line), as
    European spreadsheets export; ``.attrs["separator"]`` holds the separator used. Used for side tables such as
    the population table of :func:`darkfigure.monitoring.sdg.read_population` (tester 15b, L9).
    """
    p = Path(path)
    sep = "\t" if p.suffix.lower() == ".tsv" else (_separator(p) if _first_line_has_no(p, ",") else None) or ","
    df = pd.read_csv(p, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df.attrs["separator"] = sep
    return df


def _first_line_has_no(p: Path, sep: str) -> bool:
    """True when the first line of text file `p` holds no `sep`."""
    with open(p, encoding="utf-8-sig", errors="replace") as f:
        return sep not in f.readline()


def plain_numbers(s: pd.Series, separator: str | None = ",") -> pd.Series:
    """Numbers written as text with thousands separators, as plain numbers' text ("8.800.000" -> "8800000").

    In a ';'-separated file (a Dutch or German spreadsheet export) the point groups thousands and the comma is
    the decimal mark ("8.800.000", "1,5"); otherwise the comma groups thousands ("8,800,000").
    """
    t = s.astype(str).str.strip()
    if separator == ";":
        return t.where(~t.str.fullmatch(_THOUSANDS_DOT), t.str.replace(".", "", regex=False)).str.replace(",", ".")
    return t.str.replace(",", "", regex=False)


_THOUSANDS_DOT = r"-?\d{1,3}(\.\d{3})+(,\d+)?"


def _is_number(x: str) -> bool:
    try:
        float(x.replace(",", "."))
    except ValueError:
        return False
    return True


def _later_header(rows: list[list], n_first: int) -> tuple[int, list[str]] | None:
    """The row (1-based) below the first that looks like the real header, and its cells; None if none does.

    A header row has every cell filled, at least two, at least as many as the first row's filled cells, and not
    all numbers; the search stops at the first all-number row (data reached). `rows` as :func:`_head_rows` gives
    them. Used for title rows above the header (here and in :mod:`darkfigure.linkage.registration_files`).
    """
    for r, row in enumerate(rows[1:], start=2):
        named = [x for x in row if x is not None]
        if len(row) >= 2 and len(named) == len(row) and len(row) >= n_first and not all(map(_is_number, named)):
            return r, named
        if named and all(map(_is_number, named)):
            break  # data rows reached: no later header
    return None


def _check_header(p: Path, df: pd.DataFrame, sep: str | None, sheet) -> None:
    """Refuse a header with empty cells (title rows above it?) or made of numbers only (no header row).

    Raises
    ------
    DataError
        Naming the column without a name, the row that looks like the real header, or the first row's values.
    """
    rows = _head_rows(p, sep, sheet, 20)
    if not rows or not rows[0]:
        return
    width = max(df.shape[1], *(len(r) for r in rows))
    head = rows[0] + [None] * (width - len(rows[0]))
    cells = [x for x in head if x is not None]
    if cells and all(_is_number(x) for x in cells) and len(cells) == len(head):
        shown = ",".join(cells[:8])
        raise DataError(
            f"the first row of {p.name!r} is all numbers ({shown}): the file seems to have no header row; add one "
            "naming the columns (the lists, any covariates and the count)"
        )
    empty = [i for i, x in enumerate(head) if x is None]
    if not empty:
        return
    later = _later_header(rows, len(cells))
    if later is not None:
        r, named = later
        raise DataError(
            f"the header row of {p.name!r} ({', '.join(cells) or 'empty'}) has empty cells; the header seems "
            f"to be on row {r} ({', '.join(named[:8])}): remove the title rows above it"
        )
    i = empty[0]
    if i < df.shape[1] and df.iloc[:, i].isna().all():
        raise DataError(f"column {i + 1} of {p.name!r} has no name in the header and no values: remove it")
    raise DataError(
        f"column {i + 1} of {p.name!r} has no name in the header; name it (a list's or covariate's name)"
    )


def read_table(path: str | Path, sheet: str | int | None = None) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or Excel file into a DataFrame.

    Parameters
    ----------
    path : path
    sheet : str or int, optional
        Excel only: the sheet's name or 0-based position (default: the first sheet).

    Raises
    ------
    DataError
        Missing file, unknown extension, empty or unreadable file, a column name used
        twice in the header, an unknown sheet, or an Excel first sheet without data
        (the message names the workbook's sheets).
    """
    p = Path(path)
    if not p.exists():
        raise DataError(
            f"file {str(p)!r} not found (and it is not a bundled dataset: {', '.join(datasets.names())})"
        )
    reader = _READERS.get(p.suffix.lower())
    if reader is None:
        raise DataError(f"cannot read {p.name!r}: use a .csv, .tsv, .parquet or .xlsx file")
    excel = p.suffix.lower() in (".xlsx", ".xls")
    if sheet is not None and not excel:
        raise DataError(f"--sheet applies to Excel workbooks only; {p.name!r} is not one")
    sheets = _excel_sheets(p) if excel else []
    if excel and sheet is not None:
        if isinstance(sheet, str) and sheet.isdigit() and sheet not in sheets:
            sheet = int(sheet)
        if (isinstance(sheet, int) and not 0 <= sheet < len(sheets)) or (isinstance(sheet, str) and sheet not in sheets):
            raise DataError(f"workbook {p.name!r} has no sheet {sheet!r}; its sheets are {sheets}")
    sep, raw = None, None
    try:
        if excel:
            df = pd.read_excel(p, sheet_name=0 if sheet is None else sheet)
        else:
            df = reader(p)
        if p.suffix.lower() in (".csv", ".txt") and df.shape[1] == 1 and _separator(p):
            # European spreadsheet exports separate columns with ';'; others with tabs or '|'
            sep = _separator(p)
            df = pd.read_csv(p, sep=sep)
            raw = pd.read_csv(p, sep=sep, dtype=str) if sep == ";" else None
    except UnicodeDecodeError as e:
        raise DataError(
            f"file {p.name!r} is not UTF-8 text (byte {e.object[e.start:e.start + 1]!r} at position {e.start}): "
            "save it as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"file {p.name!r} is empty") from None
    except (ValueError, OSError, ImportError) as e:
        raise DataError(f"cannot read {p.name!r}: {e}") from None
    if excel and (df.shape[0] == 0 or df.shape[1] == 0) and len(sheets) > 1:
        which = sheets[0] if sheet is None else sheet
        others = [x for x in sheets if x != which]
        raise DataError(
            f"sheet {which!r} of {p.name!r} holds no table; the workbook's sheets are {sheets}. "
            f"Choose the sheet with the data: --sheet {others[0]!r} (sheet=... in Python)"
        )
    if df.shape[0] == 0:
        raise DataError(f"file {p.name!r} has a header but no rows")
    if raw is not None:  # in a ';'-file 1.000 is one thousand, not 1 (tester 12b, M7)
        _refuse_dot_thousands(raw, p.name)
    _check_header(p, df, sep, sheet)
    if df.shape[1] and str(df.columns[0]).startswith("\u00ef\u00bb\u00bf"):  # tester 19a, L1
        raise DataError(
            f"the header of {p.name!r} starts with {str(df.columns[0])[:20]!r}: 'ï»¿' is a UTF-8 byte-order mark "
            "decoded as Windows-1252 (e.g. by iconv -f cp1252 of a file that starts as UTF-8; letters outside ASCII "
            "may be garbled too). Remove those characters at the start of the file, or export it again as UTF-8")
    head = _header(p, reader, sep, sheet)
    seen = set()
    for name in head:
        if name.strip() in seen:
            raise DataError(
                f"column name {name.strip()!r} appears more than once in the header of {p.name!r}: rename one of them "
                "(otherwise the second would be read as a separate list or covariate)"
            )
        seen.add(name.strip())
    return df


def _refuse_list_in_index(df: pd.DataFrame, lists, count: str) -> None:
    """A named index level that holds a list (0/1 values), a named list or the count is refused: the index is not
    read, so the table would silently lose that column (tester 7, 15: ``df.set_index("EXH")``)."""
    for i, name in enumerate(df.index.names):
        if name is None:
            continue
        vals = df.index.get_level_values(i)
        as_list = name in (lists or []) or name == count
        if not as_list and not pd.api.types.is_bool_dtype(vals) and pd.api.types.is_numeric_dtype(vals):
            as_list = bool(len(vals)) and bool(pd.Series(vals).isin([0, 1]).all())
        if as_list:
            raise DataError(f"column {name!r} is in the data frame's index, which is not read: call .reset_index() "
                            "(or pass it as a column)")


def read_histories(
    data: CaptureHistories | pd.DataFrame | str | Path,
    *,
    lists: list[str] | None = None,
    covariates: list[str] | None = None,
    count: str = "count",
    on_empty_list: str = "error",
    missing: str = "error",
    sheet: str | int | None = None,
    year: str | None = None,
    identifiers: str = "refuse",
) -> CaptureHistories:
    """Turn a file, data frame, dataset name or CaptureHistories into CaptureHistories.

    A table with a `count` column is read as aggregated; otherwise as one row per
    person. Polars data frames are accepted (converted with ``to_pandas``).
    ``missing="keep"`` keeps persons with unknown covariate values apart
    (:attr:`CaptureHistories.incomplete`) instead of refusing them. `sheet` chooses the
    sheet of an Excel workbook (a note names the sheet read when there are several). `year` names the
    year column (``--year``), which is then never taken as the count nor left out (tester 15b, M1).
    ``identifiers="keep"`` reads a covariate with a different value in every row of a table of persons,
    which is otherwise refused as an identifier (:func:`darkfigure._frame_roles.set_aside`).

    Raises
    ------
    DataError
        Unreadable or invalid data (see :meth:`CaptureHistories.from_table`).
    """
    if isinstance(data, CaptureHistories):
        if lists is not None or covariates is not None:
            raise DataError("lists/covariates cannot be chosen for data that is already CaptureHistories")
        if missing == "error" and data.n_incomplete:
            raise DataError(f"{data.n_incomplete} person(s) have unknown covariate values; use missing='em' or 'drop'")
        return data
    name = None
    if isinstance(data, (str, Path)):
        s = str(data)
        if s in datasets.DATASETS and not Path(s).exists():
            if sheet is not None:
                raise DataError(f"--sheet applies to Excel workbooks only; {s!r} is a bundled dataset")
            df, name = datasets.load_frame(s), s
            lists = datasets.list_columns(s) if lists is None else lists  # documented: not guessed (s24 L4)
        else:
            df, name = read_table(s, sheet=sheet), Path(s).name
    else:
        # pandas or polars (a LazyFrame collected first; tester 7, 15)
        df = _as_pandas(data)
        _refuse_list_in_index(df, lists, count)
    raw = None
    if name is not None and Path(str(data)).suffix.lower() in (".csv", ".txt", ".tsv") and Path(str(data)).is_file() \
            and any(not pd.api.types.is_integer_dtype(df[c]) for c in count_like_columns(df, count)):
        raw = read_text_cells(data)  # the cells as written: "1.300" is no 1.3 (tester 19a, H4, L6)
    try:
        refuse_grouped_count(df, raw, count, name, lists, covariates)
    except DataError as e:
        raise DataError(f"{e} ({ROWS_COUNTED})" if raw is not None else str(e)) from None
    sheets: list[str] = []
    which = None
    if isinstance(data, (str, Path)) and Path(str(data)).suffix.lower() in (".xlsx", ".xls") and Path(str(data)).exists():
        sheets = _excel_sheets(Path(str(data)))
        if sheets:
            which = sheets[0] if sheet is None else (sheet if str(sheet) in sheets else sheets[int(sheet)])
    try:
        h = CaptureHistories.from_frame(
            df, lists, covariates, count, name=name, on_empty_list=on_empty_list, missing=missing, year=year,
            identifiers=identifiers,
        )
    except DataError as e:
        if sheets:  # "row 8" is the 8th row under the header: in the sheet it is row 9 (tester 12b, L13)
            e = DataError(_sheet_rows(str(e)))
        if len(sheets) > 1:
            raise DataError(
                f"{e} (This was sheet {which!r} of {name!r}; the workbook's sheets are {sheets}: "
                "choose the one with the data with --sheet NAME.)"
            ) from None
        if sheets:
            raise e from None
        if name is not None and Path(str(data)).is_file() and re.search(r"\brows? \d+", str(e)) \
                and "header" not in str(e):  # as link says it (tester 14b, L7)
            raise DataError(f"{e} ({ROWS_COUNTED})") from None
        raise
    if len(sheets) > 1:
        note = f"read sheet {which!r} of the workbook's {len(sheets)} sheets ({', '.join(sheets)}); --sheet chooses"
        h = dataclasses.replace(h, notes=h.notes + (note,))
    if covariates is not None:
        # columns left out by an explicit covariate list are summed over: said, not silent (tester 8, F5)
        used = {*h.lists, *h.covariates, count}
        unused = [str(c) for c in df.columns if str(c) not in used]
        if unused:
            shown = ", ".join(unused[:8]) + (f" and {len(unused) - 8} more" if len(unused) > 8 else "")
            note = (f"column(s) {shown} not used: persons are counted over them (name them with the covariates, "
                    "--covariates, to estimate by them)")
            h = dataclasses.replace(h, notes=h.notes + (note,))
    return h


#: how a file's rows are numbered in messages (the linkage input checks' words)
ROWS_COUNTED = "rows count from the first data row: row 1 = the line under the header, Excel's row 2"


def _sheet_rows(message: str) -> str:
    """`message` with each "row N" (N-th row under the header) followed by the row number Excel shows, N + 1."""
    def said(m: re.Match) -> str:
        """One "row N" or "rows N and M" with the sheet's numbers added."""
        nums = [int(x) for x in re.findall(r"\d+", m.group(0))]
        sheet = " and ".join(str(n + 1) for n in nums)
        return f"{m.group(0)} (row{'s' if len(nums) > 1 else ''} {sheet} of the sheet)"

    return re.sub(r"\brows? \d+(?: and \d+)?\b(?! of )", said, message)
