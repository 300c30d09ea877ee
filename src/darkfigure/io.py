"""Reading capture-history data from files, data frames or bundled dataset names."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd

from . import datasets
from ._history_checks import _as_pandas
from .histories import CaptureHistories, DataError

__all__ = ["read_table", "read_histories"]

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
    suffix = p.suffix.lower()
    try:
        if suffix in (".csv", ".txt", ".tsv"):
            row = pd.read_csv(p, sep=sep or ("\t" if suffix == ".tsv" else ","), header=None, nrows=1, dtype=str)
        elif suffix in (".xlsx", ".xls"):
            row = pd.read_excel(p, header=None, nrows=1, dtype=str, sheet_name=0 if sheet is None else sheet)
        else:
            return []
    except (ValueError, OSError, ImportError, UnicodeDecodeError, pd.errors.ParserError):
        return []
    return [x for x in row.iloc[0].tolist() if isinstance(x, str)] if len(row) else []


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
    sep = None
    try:
        if excel:
            df = pd.read_excel(p, sheet_name=0 if sheet is None else sheet)
        else:
            df = reader(p)
        if p.suffix.lower() in (".csv", ".txt") and df.shape[1] == 1 and ";" in str(df.columns[0]):
            # European spreadsheet exports separate columns with ';'
            df = pd.read_csv(p, sep=";")
            sep = ";"
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
) -> CaptureHistories:
    """Turn a file, data frame, dataset name or CaptureHistories into CaptureHistories.

    A table with a `count` column is read as aggregated; otherwise as one row per
    person. Polars data frames are accepted (converted with ``to_pandas``).
    ``missing="keep"`` keeps persons with unknown covariate values apart
    (:attr:`CaptureHistories.incomplete`) instead of refusing them. `sheet` chooses the
    sheet of an Excel workbook (a note names the sheet read when there are several).

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
        else:
            df, name = read_table(s, sheet=sheet), Path(s).name
    else:
        # pandas or polars (a LazyFrame collected first; tester 7, 15)
        df = _as_pandas(data)
        _refuse_list_in_index(df, lists, count)
    sheets: list[str] = []
    which = None
    if isinstance(data, (str, Path)) and Path(str(data)).suffix.lower() in (".xlsx", ".xls") and Path(str(data)).exists():
        sheets = _excel_sheets(Path(str(data)))
        if sheets:
            which = sheets[0] if sheet is None else (sheet if str(sheet) in sheets else sheets[int(sheet)])
    try:
        h = CaptureHistories.from_frame(
            df, lists, covariates, count, name=name, on_empty_list=on_empty_list, missing=missing
        )
    except DataError as e:
        if len(sheets) > 1:
            raise DataError(
                f"{e} (This was sheet {which!r} of {name!r}; the workbook's sheets are {sheets}: "
                "choose the one with the data with --sheet NAME.)"
            ) from None
        raise
    if len(sheets) > 1:
        note = f"read sheet {which!r} of the workbook's {len(sheets)} sheets ({', '.join(sheets)}); --sheet chooses"
        h = dataclasses.replace(h, notes=h.notes + (note,))
    return h
