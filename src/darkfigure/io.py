"""Reading capture-history data from files, data frames or bundled dataset names."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from . import datasets
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


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a CSV, TSV, Parquet or Excel file into a DataFrame.

    Raises
    ------
    DataError
        Missing file, unknown extension, empty or unreadable file.
    """
    p = Path(path)
    if not p.exists():
        raise DataError(
            f"file {str(p)!r} not found (and it is not a bundled dataset: {', '.join(datasets.names())})"
        )
    reader = _READERS.get(p.suffix.lower())
    if reader is None:
        raise DataError(f"cannot read {p.name!r}: use a .csv, .tsv, .parquet or .xlsx file")
    try:
        df = reader(p)
        if p.suffix.lower() in (".csv", ".txt") and df.shape[1] == 1 and ";" in str(df.columns[0]):
            # European spreadsheet exports separate columns with ';'
            df = pd.read_csv(p, sep=";")
    except UnicodeDecodeError as e:
        raise DataError(
            f"file {p.name!r} is not UTF-8 text (byte {e.object[e.start:e.start + 1]!r} at position {e.start}): "
            "save it as UTF-8 (in Excel: 'CSV UTF-8')"
        ) from None
    except pd.errors.EmptyDataError:
        raise DataError(f"file {p.name!r} is empty") from None
    except (ValueError, OSError, ImportError) as e:
        raise DataError(f"cannot read {p.name!r}: {e}") from None
    if df.shape[0] == 0:
        raise DataError(f"file {p.name!r} has a header but no rows")
    return df


def read_histories(
    data: CaptureHistories | pd.DataFrame | str | Path,
    *,
    lists: list[str] | None = None,
    covariates: list[str] | None = None,
    count: str = "count",
    on_empty_list: str = "error",
    missing: str = "error",
) -> CaptureHistories:
    """Turn a file, data frame, dataset name or CaptureHistories into CaptureHistories.

    A table with a `count` column is read as aggregated; otherwise as one row per
    person. Polars data frames are accepted (converted with ``to_pandas``).
    ``missing="keep"`` keeps persons with unknown covariate values apart
    (:attr:`CaptureHistories.incomplete`) instead of refusing them.

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
            df, name = datasets.load_frame(s), s
        else:
            df, name = read_table(s), Path(s).name
    elif hasattr(data, "to_pandas") and not isinstance(data, pd.DataFrame):
        df = data.to_pandas()
    else:
        df = pd.DataFrame(data)
    return CaptureHistories.from_frame(
        df, lists, covariates, count, name=name, on_empty_list=on_empty_list, missing=missing
    )
