"""Reading and checking the victim register and the later-victimisation register.

The inputs of :func:`darkfigure.monitoring.revictimisation.revictimisation` (its module
docstring describes both registers): read from a file or a DataFrame, person ids and
ISO dates checked with messages naming the register, column and row, and the follow-up
of every person prepared (:func:`_prepare`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..histories import DataError

DAYS_PER_YEAR = 365.25
ANY = "any"
# default covariates (covariates=None) skip columns with more levels than this: ids, names, birth dates
MAX_DEFAULT_LEVELS = 20
# a later register ending more than this many days before the end of follow-up gets a note (about a quarter)
REGISTER_GAP_DAYS = 90


# ----------------------------------------------------------------------------------------------------------------------
# reading and checking the registers


def _read(source: Any, what: str) -> pd.DataFrame:
    if isinstance(source, pd.DataFrame):
        return source.copy()
    if hasattr(source, "to_pandas"):  # polars
        return source.to_pandas()
    p = Path(source)
    if not p.exists():
        raise DataError(f"{what} file {str(p)!r} not found")
    suffix = p.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        # as text: ids keep leading zeros, and dates are parsed (and checked) by us
        try:
            return pd.read_csv(p, sep="\t" if suffix == ".tsv" else ",", dtype=str, keep_default_na=False)
        except pd.errors.EmptyDataError:
            raise DataError(f"{what} file {p.name!r} is empty (it needs a header row)") from None
        except (ValueError, OSError) as e:
            raise DataError(f"cannot read {what} file {p.name!r}: {e}") from None
    from ..io import read_table

    return read_table(p)


def _require(df: pd.DataFrame, cols: Sequence[str], what: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise DataError(f"the {what} has no column {c!r}; its columns are {list(map(str, df.columns))}")


def _missing(s: pd.Series) -> np.ndarray:
    return (s.isna() | s.astype(str).str.strip().eq("")).to_numpy()


def _ids(s: pd.Series, what: str, col: str) -> pd.Series:
    """Person ids as text, so that 7 (a number) and '7' (text) in the two registers match."""
    miss = _missing(s)
    if miss.any():
        i = int(np.flatnonzero(miss)[0])
        raise DataError(f"{what} row {i + 1}: {col!r} is empty; every row needs a person id")
    if pd.api.types.is_float_dtype(s) and np.all(np.mod(s.to_numpy(), 1) == 0):
        s = s.astype(np.int64)
    return s.astype(str).str.strip()


def _dates(s: pd.Series, what: str, col: str, ids: pd.Series) -> np.ndarray:
    """Dates as int64 days since 1970-01-01; errors name the row, the person and the value."""
    miss = _missing(s)
    if miss.any():
        i = int(np.flatnonzero(miss)[0])
        raise DataError(f"{what} row {i + 1} (person {ids.iloc[i]!r}): {col!r} is empty; give a date as YYYY-MM-DD")
    if pd.api.types.is_datetime64_any_dtype(s):
        parsed = s
    else:
        parsed = pd.to_datetime(s.astype(str).str.strip(), format="ISO8601", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise DataError(
            f"{what} row {i + 1} (person {ids.iloc[i]!r}): {col!r} value {s.iloc[i]!r} is not a date; "
            "write dates as YYYY-MM-DD"
        )
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return parsed.dt.floor("D").to_numpy().astype("datetime64[D]").astype(np.int64)


def _one_date(v: Any) -> int | None:
    try:
        ts = pd.to_datetime(v, format="ISO8601") if isinstance(v, str) else pd.Timestamp(v)
    except (ValueError, TypeError):
        return None
    if pd.isna(ts):
        return None
    return int(np.datetime64(ts.floor("D").tz_localize(None) if ts.tz else ts.floor("D"), "D").astype(np.int64))


def _day_text(d: int) -> str:
    return str(np.datetime64(int(d), "D"))


def _n(count: int, word: str) -> str:
    """'1 person', '2 persons', '1,200 rows': a count with its noun in the singular or plural."""
    return f"{count:,} {word}" + ("" if count == 1 else "s")


def _years(k: float) -> str:
    return f"{k:g} year" + ("" if k == 1 else "s")


def _level_key(v: str):
    try:
        return (0, float(v), v)
    except ValueError:
        return (1, 0.0, v)


@dataclass
class _Data:
    ids: np.ndarray  # (n,) str
    start: np.ndarray  # (n,) day of first registration
    end: np.ndarray  # (n,) day of end of follow-up
    covariates: dict[str, np.ndarray]  # name -> (n,) str levels
    offences: list[str]
    person: np.ndarray  # (m,) index into persons of each later victimisation after registration
    day: np.ndarray  # (m,) its day
    offence: np.ndarray  # (m,) its kind, index into offences
    notes: list[str]
    end_text: str


def _prepare(
    victims, later, *, end_of_followup, covariates, id_col, date_col, later_date_col, offence_col
) -> _Data:
    v = _read(victims, "victim register")
    w = _read(later, "later-victimisation register")
    notes: list[str] = []
    _require(v, [id_col, date_col], "victim register")
    _require(w, [id_col, later_date_col, offence_col], "later-victimisation register")
    if len(v) == 0:
        raise DataError("the victim register has no rows")
    vid = _ids(v[id_col], "victim register", id_col)
    dup = vid.duplicated().to_numpy()
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise DataError(
            f"victim register row {i + 1}: person {vid.iloc[i]!r} appears more than once; the victim register needs "
            "one row per person (their first registration)"
        )
    start = _dates(v[date_col], "victim register", date_col, vid)

    # end of follow-up: a column of the victim register (per person) or one date for everyone
    end_col = None
    if end_of_followup is None:
        if "end_of_followup" in v.columns:
            end_col = "end_of_followup"
        else:
            raise DataError(
                "give the end of follow-up (--end-of-followup YYYY-MM-DD), the last date the later-victimisation "
                "register covers, or an end_of_followup column in the victim register"
            )
    elif isinstance(end_of_followup, str) and end_of_followup in v.columns:
        end_col = end_of_followup
    if end_col is not None:
        end = _dates(v[end_col], "victim register", end_col, vid)
        end_text = f"per person (column {end_col!r})"
    else:
        e = _one_date(end_of_followup)
        if e is None:
            raise DataError(
                f"end of follow-up {end_of_followup!r} is neither a date (YYYY-MM-DD) nor a column of the victim "
                "register"
            )
        end = np.full(len(v), e, dtype=np.int64)
        end_text = _day_text(e)
    late = start > end
    if late.any():
        i = int(np.flatnonzero(late)[0])
        raise DataError(
            f"victim register row {i + 1} (person {vid.iloc[i]!r}): first registration {_day_text(start[i])} is after "
            f"the end of follow-up {_day_text(end[i])}"
        )

    # covariates
    reserved = {id_col, date_col} | ({end_col} if end_col else set())
    if covariates is None:
        chosen, skipped = [], []
        for c in v.columns:
            if c in reserved:
                continue
            (chosen if v[c].nunique(dropna=True) <= MAX_DEFAULT_LEVELS else skipped).append(str(c))
        if skipped:
            notes.append(
                (f"column {skipped[0]!r} of the victim register was not used as a covariate" if len(skipped) == 1
                 else f"columns {skipped} of the victim register were not used as covariates")
                + f" (more than {MAX_DEFAULT_LEVELS} levels); name the covariates with --covariates"
            )
    else:
        chosen = list(covariates)
        _require(v, chosen, "victim register")
        for c in chosen:
            if c in reserved:
                raise DataError(f"{c!r} cannot be a covariate: it is the person id, registration or follow-up column")
    cov: dict[str, np.ndarray] = {}
    for c in chosen:
        if c == "total":
            raise DataError("a covariate cannot be named 'total' (the name of the row for all persons); rename it")
        miss = _missing(v[c])
        if miss.any():
            i = int(np.flatnonzero(miss)[0])
            raise DataError(
                f"victim register row {i + 1} (person {vid.iloc[i]!r}): covariate {c!r} is empty; fill it with an "
                "explicit level such as 'unknown'"
            )
        s = v[c]
        if pd.api.types.is_float_dtype(s) and np.all(np.mod(s.to_numpy(), 1) == 0):
            s = s.astype(np.int64)
        cov[str(c)] = s.astype(str).str.strip().to_numpy()

    # later victimisations
    if len(w):
        wid = _ids(w[id_col], "later-victimisation register", id_col)
        wday = _dates(w[later_date_col], "later-victimisation register", later_date_col, wid)
        off_miss = _missing(w[offence_col])
        if off_miss.any():
            i = int(np.flatnonzero(off_miss)[0])
            raise DataError(
                f"later-victimisation register row {i + 1} (person {wid.iloc[i]!r}): {offence_col!r} is empty; give "
                "the kind of offence (e.g. 'unknown')"
            )
        woff = w[offence_col].astype(str).str.strip().to_numpy()
        if np.any(woff == ANY):
            raise DataError(f"offence kind {ANY!r} is reserved for 'any offence'; rename it in the later register")
        pos = pd.Index(vid).get_indexer(wid)
        known = pos >= 0
        if not known.any():
            raise DataError(
                f"none of the {len(w)} rows of the later-victimisation register has a {id_col!r} of the victim "
                f"register (e.g. {wid.iloc[0]!r}); are the two registers linked with the same id?"
            )
        # a later date after the end of follow-up means a wrong end date or an extract not cut at it
        lim = np.where(known, end[np.maximum(pos, 0)], end.max() if end_col is None else np.iinfo(np.int64).max)
        after = wday > lim
        if after.any():
            i = int(np.flatnonzero(after)[0])
            raise DataError(
                f"later-victimisation register row {i + 1} (person {wid.iloc[i]!r}): date {_day_text(wday[i])} is "
                f"after the end of follow-up {_day_text(lim[i])}; cut the register at the end of follow-up or give "
                "the right end date"
            )
        # a register extracted before the end of follow-up: persons look event-free where nobody looked
        last, latest_end = int(wday.max()), int(end.max())
        if latest_end - last > REGISTER_GAP_DAYS:
            fix = (f"give --end-of-followup {_day_text(last)}" if end_col is None else
                   f"end the follow-up in column {end_col!r} at {_day_text(last)} at the latest")
            notes.append(
                f"the later register's last date is {_day_text(last)}, before the end of follow-up "
                f"{_day_text(latest_end)} ({latest_end - last:,} days later): if the register was closed at "
                f"{_day_text(last)}, {fix}, otherwise persons look event-free where nobody looked"
            )
        if not known.all():
            unknown_ids = pd.unique(wid[~known])
            n_rows, n_ids = int((~known).sum()), len(unknown_ids)
            notes.append(
                f"{_n(n_rows, 'row')} of the later-victimisation register ({_n(n_ids, 'person')}, e.g. "
                f"{unknown_ids[0]!r}) {'is' if n_rows == 1 else 'are'} of {'a person' if n_ids == 1 else 'persons'} "
                f"not in the victim register; {'it was' if n_rows == 1 else 'they were'} left out (only registered "
                "victims can be re-victimised)"
            )
        pos_k, day_k, off_k = pos[known], wday[known], woff[known]
        before = day_k <= start[pos_k]
        if before.any():
            n_before = int(before.sum())
            notes.append(
                f"{_n(n_before, 'later victimisation')} dated on or before the person's first registration "
                f"{'was' if n_before == 1 else 'were'} not counted (re-victimisation means after the first registration)"
            )
        pos_k, day_k, off_k = pos_k[~before], day_k[~before], off_k[~before]
    else:
        pos_k = np.zeros(0, dtype=np.int64)
        day_k = np.zeros(0, dtype=np.int64)
        off_k = np.zeros(0, dtype=str)
    offences = sorted(pd.unique(off_k).tolist())
    code = pd.Index(offences).get_indexer(off_k) if len(off_k) else np.zeros(0, dtype=np.int64)
    return _Data(vid.to_numpy(), start, end, cov, offences, pos_k, day_k, code, notes, end_text)


def _first_days(n: int, person: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Earliest day per person, -1 without one."""
    out = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(out, person, day)
    out[out == np.iinfo(np.int64).max] = -1
    return out
