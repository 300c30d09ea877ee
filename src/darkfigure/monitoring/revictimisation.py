"""Repeat victimisation: the share of registered victims who are victims of a crime again within k years.

The Dutch monitor of trafficking victims linked its victim register to the police
register of victims of any offence and found that 45% of registered victims were
victims of a crime again within five years (Nationaal Rapporteur Mensenhandel,
*Slachtoffermonitor mensenhandel*). This module measures that share from two
linked registers:

* the **victim register** (one row per person): ``person_id``, the date of first
  registration (``first_registration``, ISO dates), covariates (sex, age group, form
  of exploitation, ...) and optionally each person's end of follow-up (death,
  emigration, the end of the data);
* the **register of later victimisations** (one row per victimisation of any
  offence): ``person_id``, ``date``, ``offence`` (the kind of the later offence).

Time runs from first registration; time in years is days / 365.25. A person's
*re-victimisation time* is the time to the first victimisation **after** the date of
first registration. Victimisations on or before that date are not
re-victimisations: the victimisation that led to the registration is often in the
police register too, on the same day, and earlier ones happened before the person
was a registered victim; they are dropped (with a note saying how many). A person
without a later victimisation is *censored* at the end of follow-up: we know only
that the re-victimisation time, if any, is longer than the follow-up.

Because persons registered late were followed for less than k years, the share
"re-victimised within k years ÷ persons" (the *naive* share, also reported) is biased
downward: persons censored before k years count as never re-victimised. The
Kaplan–Meier product-limit estimator (Kaplan & Meier 1958) uses each person for as
long as they were followed and is consistent under independent censoring
(registration date and end of follow-up unrelated to the risk of re-victimisation).

Files (the report reads them):

* ``revictimisation.csv``: :data:`TABLE_COLUMNS`, one row per group, level and
  offence at each k;
* ``revictimisation_curve.csv``: :data:`CURVE_COLUMNS`, the Kaplan–Meier step
  function at its event times (over the whole follow-up);
* ``revictimisation_first_offence.csv``: :data:`FIRST_OFFENCE_COLUMNS`, the
  Aalen–Johansen cumulative incidence of the *first* later offence by its kind
  (competing risks).

References
----------
Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete
observations. JASA 53:457-481.
Greenwood, M. (1926). The natural duration of cancer. Reports on Public Health and
Medical Subjects 33, HMSO.
Kalbfleisch, J. D. & Prentice, R. L. (2002). *The Statistical Analysis of Failure Time
Data*, 2nd ed., Wiley, chapter 1 (the log(-log) interval).
Aalen, O. O. & Johansen, S. (1978). An empirical transition matrix for
non-homogeneous Markov chains based on censored observations. Scand. J. Statist.
5:141-150.
Marubini, E. & Valsecchi, M. G. (1995). *Analysing Survival Data from Clinical Trials
and Observational Studies*, Wiley, chapter 10 (delta-method variance of the
cumulative incidence).
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import product
from pathlib import Path
from statistics import NormalDist
from typing import Any

import numpy as np
import pandas as pd

from ..histories import DataError

__all__ = [
    "CURVE_COLUMNS",
    "DAYS_PER_YEAR",
    "DEFAULT_OFFENCES",
    "DEFAULT_SUBGROUPS",
    "FIRST_OFFENCE_COLUMNS",
    "KaplanMeier",
    "RevictimisationResult",
    "SimulatedRevictimisation",
    "TABLE_COLUMNS",
    "aalen_johansen",
    "kaplan_meier",
    "revictimisation",
    "simulate_revictimisation",
]

DAYS_PER_YEAR = 365.25
TABLE_COLUMNS = [
    "group", "level", "offence", "k_years", "persons", "events", "censored", "cumulative", "lower", "upper", "naive",
]
CURVE_COLUMNS = ["group", "level", "offence", "time_years", "at_risk", "events", "cumulative", "lower", "upper"]
FIRST_OFFENCE_COLUMNS = ["group", "level", "offence", "k_years", "persons", "events", "cumulative", "lower", "upper"]
ANY = "any"
# default covariates (covariates=None) skip columns with more levels than this: ids, names, birth dates
MAX_DEFAULT_LEVELS = 20
FEW_AT_RISK = 10
# a later register ending more than this many days before the end of follow-up gets a note (about a quarter)
REGISTER_GAP_DAYS = 90


# ----------------------------------------------------------------------------------------------------------------------
# the statistics


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1 (got {level})")
    return NormalDist().inv_cdf(0.5 + level / 2)


def _loglog_interval(cumulative: np.ndarray, var_ratio: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Interval of F = 1 - S on the log(-log S) scale, from Var(Ŝ)/Ŝ² (Greenwood's sum).

    S^exp(±zσ) with σ = sqrt(var_ratio) / |log S|; NaN where S is 0 or 1 (no interval on
    that scale) or the variance is infinite.
    """
    s = 1.0 - np.asarray(cumulative, dtype=float)
    v = np.asarray(var_ratio, dtype=float)
    ok = (s > 0) & (s < 1) & np.isfinite(v)
    with np.errstate(divide="ignore", invalid="ignore"):
        sigma = np.sqrt(v) / np.abs(np.log(s))
        s_low = s ** np.exp(z * sigma)  # the lower limit of S gives the upper limit of F
        s_high = s ** np.exp(-z * sigma)
    return np.where(ok, 1.0 - s_high, np.nan), np.where(ok, 1.0 - s_low, np.nan)


@dataclass(frozen=True)
class KaplanMeier:
    """A Kaplan–Meier curve of the cumulative share with an event, F(t) = 1 - S(t).

    Attributes
    ----------
    time : ndarray of float, shape (m,)
        The distinct event times t_j (years), increasing.
    at_risk : ndarray of int, shape (m,)
        n_j, persons with observed time >= t_j (a person censored at t_j is at risk at t_j).
    events : ndarray of int, shape (m,)
        d_j, events at t_j.
    cumulative : ndarray of float, shape (m,)
        F(t_j) = 1 - prod_{i<=j} (1 - d_i / n_i).
    greenwood : ndarray of float, shape (m,)
        Greenwood's sum sum_{i<=j} d_i / (n_i (n_i - d_i)) = Var(Ŝ(t_j)) / Ŝ(t_j)² (inf once Ŝ = 0).
    lower, upper : ndarray of float, shape (m,)
        The log(-log) interval of F(t_j) at `level` (NaN where undefined).
    observed : ndarray of float, shape (n,)
        Every person's observed time (event or censoring), sorted.
    level : float
    """

    time: np.ndarray
    at_risk: np.ndarray
    events: np.ndarray
    cumulative: np.ndarray
    greenwood: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    observed: np.ndarray = field(repr=False)
    level: float = 0.95

    @property
    def persons(self) -> int:
        """Number of persons n."""
        return int(self.observed.size)

    def at_risk_at(self, k: float) -> int:
        """Persons still followed (observed time >= k) at time k."""
        return int(self.observed.size - np.searchsorted(self.observed, k, side="left"))

    def at(self, k: float) -> tuple[float, float, float]:
        """(F(k), lower, upper): the step function at time k (years).

        F(k) is NaN ("not estimable") when nobody is followed up to k and Ŝ has not
        reached 0: the product-limit estimate is undefined beyond the largest observed
        time unless that time is an event emptying the risk set. With no event by k,
        F(k) = 0 and the log(-log) interval is undefined (NaN).
        """
        j = int(np.searchsorted(self.time, k, side="right")) - 1
        if j < 0:
            f, gw = 0.0, 0.0
        else:
            f, gw = float(self.cumulative[j]), float(self.greenwood[j])
        if self.at_risk_at(k) == 0 and f < 1.0:
            return float("nan"), float("nan"), float("nan")
        lo, hi = _loglog_interval(np.array([f]), np.array([gw]), _z(self.level))
        return f, float(lo[0]), float(hi[0])


def kaplan_meier(time: np.ndarray, event: np.ndarray, *, level: float = 0.95) -> KaplanMeier:
    """Kaplan–Meier estimate of F(t) = P(T <= t) with Greenwood's variance and the log(-log) interval.

    Product limit (Kaplan & Meier 1958): Ŝ(t) = prod_{t_j <= t} (1 - d_j / n_j), at the
    distinct event times t_j with d_j events and n_j persons at risk (observed time >= t_j;
    censoring at t_j counts as after the events at t_j). Greenwood (1926):
    Var(Ŝ(t)) = Ŝ(t)² sum_{t_j <= t} d_j / (n_j (n_j - d_j)).

    Interval on the log(-log) scale (Kalbfleisch & Prentice 2002, ch. 1; "exponential Greenwood"):
    by the delta method Var(log(-log Ŝ(t))) = sum_{t_j<=t} d_j/(n_j(n_j-d_j)) / (log Ŝ(t))²,
    so with σ(t) its square root and z the normal quantile,

        Ŝ(t)^exp(+zσ(t)) <= S(t) <= Ŝ(t)^exp(-zσ(t)),

    which stays within (0, 1); the interval of F = 1 - S is 1 minus these limits.

    Parameters
    ----------
    time : array of float, shape (n,)
        Observed time of each person (event or censoring), >= 0, any unit (years here).
    event : array of bool, shape (n,)
        True for an event at `time`, False for censoring.
    level : float
        Confidence level (default 0.95).

    Returns
    -------
    KaplanMeier

    Raises
    ------
    ValueError
        Shapes differ, negative or non-finite times, level outside (0, 1).
    """
    t = np.asarray(time, dtype=float).ravel()
    e = np.asarray(event, dtype=bool).ravel()
    if t.shape != e.shape:
        raise ValueError(f"time and event have different lengths ({t.size} and {e.size})")
    if t.size and (not np.all(np.isfinite(t)) or t.min() < 0):
        raise ValueError("times must be finite and non-negative")
    z = _z(level)
    order = np.argsort(t, kind="stable")
    t, e = t[order], e[order]
    uniq, first = np.unique(t, return_index=True)
    inv = np.searchsorted(uniq, t)
    d = np.bincount(inv, weights=e, minlength=uniq.size).astype(np.int64)
    n = t.size - first  # persons with observed time >= each distinct time
    keep = d > 0
    tj, nj, dj = uniq[keep], n[keep].astype(np.int64), d[keep]
    surv = np.cumprod(1.0 - dj / nj)
    with np.errstate(divide="ignore"):
        gw = np.cumsum(np.where(nj > dj, dj / (nj * np.maximum(nj - dj, 1)), np.inf))
    cum = 1.0 - surv
    lo, hi = _loglog_interval(cum, gw, z)
    return KaplanMeier(tj, nj, dj, cum, gw, lo, hi, t, level)


def aalen_johansen(
    time: np.ndarray, kind: np.ndarray, n_kinds: int, k: float, *, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Aalen–Johansen cumulative incidence of each kind of first event at time k (competing risks).

    F_j(k) = sum_{t_i <= k} Ŝ(t_{i-1}) d_ji / n_i, with Ŝ the Kaplan–Meier survival from any
    event and d_ji the events of kind j at t_i (Aalen & Johansen 1978); sum_j F_j = 1 - Ŝ.
    Variance by the delta method, treating (d_1i, ..., d_Ji) given n_i as multinomial and
    increments at distinct times as uncorrelated (Marubini & Valsecchi 1995, ch. 10):

        Var F_j(k) = sum_{t_i<=k} [ (F_j(k) - F_j(t_i))² d_i / (n_i (n_i - d_i))
                                   + Ŝ(t_{i-1})² d_ji (n_i - d_ji) / n_i³
                                   - 2 (F_j(k) - F_j(t_i)) Ŝ(t_{i-1}) d_ji / n_i² ].

    With one kind this is Greenwood's variance of 1 - Ŝ. The interval uses the same
    log(-log(1 - F)) scale as :func:`kaplan_meier` (so both agree for one kind).

    Parameters
    ----------
    time : array of float, shape (n,)
        Time to the first event of any kind, or to censoring.
    kind : array of int, shape (n,)
        0..n_kinds-1 for the kind of the first event, -1 for censoring.
    n_kinds : int
    k : float
        The time at which the cumulative incidences are wanted.
    level : float

    Returns
    -------
    (events, cumulative, lower, upper) : ndarrays of shape (n_kinds,)
        Events of each kind up to k, F_j(k) and its interval (NaN when nobody is at risk
        at k, or where the interval is undefined).
    """
    t = np.asarray(time, dtype=float).ravel()
    c = np.asarray(kind, dtype=np.int64).ravel()
    z = _z(level)
    order = np.argsort(t, kind="stable")
    t, c = t[order], c[order]
    uniq, first = np.unique(t, return_index=True)
    inv = np.searchsorted(uniq, t)
    n = (t.size - first).astype(float)
    dj = np.zeros((uniq.size, n_kinds))
    ev = c >= 0
    np.add.at(dj, (inv[ev], c[ev]), 1.0)
    d = dj.sum(axis=1)
    sel = (d > 0) & (uniq <= k)
    n, d, dj = n[sel], d[sel], dj[sel]
    events = dj.sum(axis=0).astype(np.int64)
    if not np.any(sel):
        f = np.zeros(n_kinds)
        nan = np.full(n_kinds, np.nan)
        if t.size - np.searchsorted(t, k, side="left") == 0:
            return events, nan, nan, nan
        return events, f, nan, nan
    s = np.cumprod(1.0 - d / n)
    s_before = np.concatenate([[1.0], s[:-1]])
    inc = s_before[:, None] * dj / n[:, None]
    f_at = np.cumsum(inc, axis=0)  # F_j(t_i)
    f = f_at[-1]
    rest = f[None, :] - f_at  # F_j(k) - F_j(t_i), zero once Ŝ = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(n > d, d / (n * (n - d)), 0.0)[:, None]
        var = (rest**2 * g + s_before[:, None] ** 2 * dj * (n[:, None] - dj) / n[:, None] ** 3
               - 2 * rest * s_before[:, None] * dj / n[:, None] ** 2).sum(axis=0)
        var = np.maximum(var, 0.0)
        # on the scale of log(-log(1 - F)): Var = Var F / ((1 - F) log(1 - F))², given as Var/(1-F)² to the helper
        ratio = var / (1.0 - f) ** 2
    lo, hi = _loglog_interval(f, ratio, z)
    if t.size - np.searchsorted(t, k, side="left") == 0 and s[-1] > 0:
        nan = np.full(n_kinds, np.nan)
        return events, nan, nan, nan
    return events, f, lo, hi


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


# ----------------------------------------------------------------------------------------------------------------------
# the result


@dataclass
class RevictimisationResult:
    """Re-victimisation within k years of first registration, by group and kind of later offence.

    Attributes
    ----------
    table : DataFrame of shape (n_rows, 11)
        :data:`TABLE_COLUMNS` (``revictimisation.csv``). One row per group (``total`` or a
        covariate), level (empty for the total), offence (``any`` or a kind) and k:
        ``persons``; ``events``, re-victimisations within k years (time <= k);
        ``censored``, persons whose follow-up ended before k years without one (time < k);
        ``cumulative`` the Kaplan–Meier share re-victimised within k years with its
        log(-log) interval ``lower``, ``upper`` (NaN when not estimable or undefined);
        ``naive`` = events / persons, which ignores censoring.
    curve : DataFrame
        :data:`CURVE_COLUMNS` (``revictimisation_curve.csv``): each Kaplan–Meier curve at its
        event times (years), over the whole follow-up.
    first_offence : DataFrame
        :data:`FIRST_OFFENCE_COLUMNS` (``revictimisation_first_offence.csv``): the Aalen–Johansen
        share whose *first* later victimisation within k years was of each kind (these add
        up to the ``any`` row).
    notes : list of str
        Plain-language notes: short follow-up, estimates not estimable, dropped rows.
    settings : dict
        k_years, level, end_of_followup, covariates, offences, persons, later_victimisations
        (counted ones: after first registration, of registered persons) and the column names
        id_col, date_col, later_date_col, offence_col.
    """

    table: pd.DataFrame
    curve: pd.DataFrame
    first_offence: pd.DataFrame
    notes: list[str]
    settings: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The notes and settings as written to ``revictimisation.json`` (JSON-ready).

        Keys: ``darkfigure_version``, ``run_date`` (UTC, ISO 8601), ``settings`` (end of
        follow-up, k_years, level, covariates, offences, the id and date columns, persons,
        later victimisations) and ``notes``.
        """
        from .. import __version__

        return {
            "darkfigure_version": __version__,
            "run_date": datetime.now(UTC).isoformat(timespec="seconds"),
            "settings": self.settings,
            "notes": list(self.notes),
        }

    def write(self, out: str | Path) -> list[Path]:
        """Write ``revictimisation.csv``, ``revictimisation_curve.csv``, ``revictimisation_first_offence.csv``
        and ``revictimisation.json`` (notes and settings, :meth:`to_dict`; ``darkfigure report`` shows them).

        Every file is written to a temporary file in `out` first and renamed when all of
        them are written, so a failure leaves no half-written file.

        Returns
        -------
        list of Path

        Raises
        ------
        OSError
            When the folder cannot be created or written.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        frames = {
            "revictimisation.csv": self.table,
            "revictimisation_curve.csv": self.curve,
            "revictimisation_first_offence.csv": self.first_offence,
        }
        info = json.dumps(self.to_dict(), indent=2, default=str)
        temps: list[tuple[str, Path]] = []
        try:
            for name, df in [*frames.items(), ("revictimisation.json", None)]:
                fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
                os.close(fd)
                temps.append((name, Path(tmp)))
                if df is None:
                    Path(tmp).write_text(info, encoding="utf-8")
                else:
                    df.to_csv(tmp, index=False)
                os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes files private; these are as readable as any CSV
            for name, tmp in temps:
                os.replace(tmp, out / name)
        finally:
            for _, tmp in temps:
                if tmp.exists():
                    tmp.unlink()
        return [out / name for name in [*frames, "revictimisation.json"]]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def revictimisation(
    victims: pd.DataFrame | str | Path,
    later: pd.DataFrame | str | Path,
    *,
    k_years: float | Sequence[float] = 5,
    end_of_followup: str | Any | None = None,
    covariates: Sequence[str] | None = None,
    level: float = 0.95,
    id_col: str = "person_id",
    date_col: str = "first_registration",
    later_date_col: str = "date",
    offence_col: str = "offence",
) -> RevictimisationResult:
    """Share of registered victims re-victimised within k years of first registration (Kaplan–Meier).

    For every group (all persons, and each level of each covariate) and every kind of
    later offence (``any``, and each kind j):

    * **any**: time to the first victimisation of any kind after first registration;
    * **kind j**: time to the first victimisation *of kind j* after first registration;
      victimisations of other kinds are not events and do not end follow-up. Its
      Kaplan–Meier estimate is the *marginal* cumulative incidence P(T_j <= k), the share
      victimised by offence j within k years whatever else happened to them. This is not
      a competing-risks cumulative incidence, and need not be: an offence of another kind
      neither ends the person's follow-up nor prevents a later offence of kind j, so it is
      not a competing event, and T_j is observed (or censored at the end of follow-up)
      for everyone. Under independent censoring (end of follow-up unrelated to T_j) the
      estimate is consistent for "the share ever re-victimised by offence j within k
      years". The kinds' shares overlap and need not add up to ``any``. Competing risks do
      arise for the kind of the *first* later offence (a first offence of another kind
      rules out "first by j"): that version is in ``first_offence`` (Aalen–Johansen;
      :func:`aalen_johansen`) and adds up to ``any``.

    The naive share, events within k ÷ persons, is reported alongside: it counts persons
    censored before k as not re-victimised and so is biased downward.

    Parameters
    ----------
    victims : DataFrame or path (CSV, TSV, Parquet, Excel)
        The victim register, one row per person: `id_col`, `date_col` (ISO dates) and
        covariates; optionally a per-person end of follow-up column.
    later : DataFrame or path
        Later victimisations of any offence, one row each: `id_col`, `later_date_col`,
        `offence_col`. Several rows per person are fine; rows dated on or before the
        person's first registration are dropped (not re-victimisations), rows of persons
        absent from the victim register are dropped with a note (the register of all
        victims of crime holds many who never were registered victims).
    k_years : float or sequence of float
        The horizon(s) k in years (default 5). Time in years is days / 365.25.
    end_of_followup : date, 'YYYY-MM-DD', or a column name of `victims`
        The end of follow-up for everyone (usually the last date the later register
        covers), or the column holding each person's end (death, emigration). None: the
        column ``end_of_followup`` of the victim register.
    covariates : sequence of str, optional
        Covariates for subgroups. None: every other column of the victim register with at
        most 20 levels. ``[]``: the total only.
    level : float
        Confidence level of the intervals (default 0.95).
    id_col, date_col, later_date_col, offence_col : str
        Column names.

    Returns
    -------
    RevictimisationResult

    Raises
    ------
    DataError
        A missing column (named); an empty, duplicated or unmatched person id; a date that
        is empty or not a date (row and value named); a first registration or later
        victimisation after the end of follow-up (row named); an empty covariate or
        offence; no person of the later register in the victim register.
    ValueError
        k_years not positive, level outside (0, 1).
    """
    ks = [float(k_years)] if np.isscalar(k_years) else [float(k) for k in k_years]
    if not ks or any(not np.isfinite(k) or k <= 0 for k in ks):
        raise ValueError(f"k_years must be positive numbers of years (got {k_years!r})")
    _z(level)
    data = _prepare(
        victims, later, end_of_followup=end_of_followup, covariates=covariates, id_col=id_col, date_col=date_col,
        later_date_col=later_date_col, offence_col=offence_col,
    )
    n = data.ids.size
    follow = (data.end - data.start) / DAYS_PER_YEAR
    # time and event for "any" and each kind
    first_any = _first_days(n, data.person, data.day)
    outcomes: dict[str, tuple[np.ndarray, np.ndarray]] = {}

    def _te(first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        ev = first >= 0
        return np.where(ev, (first - data.start) / DAYS_PER_YEAR, follow), ev

    outcomes[ANY] = _te(first_any)
    for j, name in enumerate(data.offences):
        m = data.offence == j
        outcomes[name] = _te(_first_days(n, data.person[m], data.day[m]))
    # kind of the first later victimisation (competing risks): ties on that day go to the first kind by name
    first_kind = np.full(n, -1, dtype=np.int64)
    if data.person.size:
        at_first = data.day == first_any[data.person]
        fk = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
        np.minimum.at(fk, data.person[at_first], data.offence[at_first])
        first_kind = np.where(first_any >= 0, fk, -1)
        n_kinds_first = pd.Series(data.offence[at_first]).groupby(data.person[at_first]).nunique()
        n_tied = int((n_kinds_first > 1).sum())
        if n_tied:
            data.notes.append(
                f"{_n(n_tied, 'person')} had later victimisations of several kinds on the day of their first one; in the "
                "first-offence table each counts once, under the first kind by name"
            )

    groups: list[tuple[str, str, np.ndarray]] = [("total", "", np.ones(n, dtype=bool))]
    for c, vals in data.covariates.items():
        for lv in sorted(pd.unique(vals).tolist(), key=_level_key):
            groups.append((c, lv, vals == lv))

    rows, curves, firsts = [], [], []
    not_estimable: list[str] = []
    few: list[str] = []
    no_events: list[str] = []
    for (g, lv, mask), off in product(groups, [ANY, *data.offences]):
        t, e = outcomes[off][0][mask], outcomes[off][1][mask]
        km = kaplan_meier(t, e, level=level)
        label = "all persons" if g == "total" else f"{g} = {lv}"
        for k in ks:
            f, lo, hi = km.at(k)
            events = int(np.sum(e & (t <= k)))
            cens = int(np.sum(~e & (t < k)))
            rows.append((g, lv, off, k, int(mask.sum()), events, cens, f, lo, hi, events / max(int(mask.sum()), 1)))
            at_k = km.at_risk_at(k)
            where = f"{label}, offence {off}, k = {k:g}"
            if np.isnan(f):
                not_estimable.append(where)
            elif f == 0:
                no_events.append(where)
            elif at_k < FEW_AT_RISK:
                few.append(f"{where} ({at_k} at risk)")
        curves.append(pd.DataFrame({
            "group": g, "level": lv, "offence": off, "time_years": km.time, "at_risk": km.at_risk,
            "events": km.events, "cumulative": km.cumulative, "lower": km.lower, "upper": km.upper,
        }))
    if data.offences:
        for g, lv, mask in groups:
            tm, km_ = outcomes[ANY][0][mask], first_kind[mask]
            for k in ks:
                ev, f, lo, hi = aalen_johansen(tm, km_, len(data.offences), k, level=level)
                for j, name in enumerate(data.offences):
                    firsts.append((g, lv, name, k, int(mask.sum()), int(ev[j]), f[j], lo[j], hi[j]))

    table = pd.DataFrame(rows, columns=TABLE_COLUMNS)
    curve = pd.concat(curves, ignore_index=True)[CURVE_COLUMNS] if curves else pd.DataFrame(columns=CURVE_COLUMNS)
    first_offence = pd.DataFrame(firsts, columns=FIRST_OFFENCE_COLUMNS)

    notes = list(data.notes)
    for k in ks:
        short = float(np.mean(follow < k))
        if short > 0:
            tot = table[(table["group"] == "total") & (table["offence"] == ANY) & (table["k_years"] == k)].iloc[0]
            at_k = int(np.sum(outcomes[ANY][0] >= k))
            notes.append(
                f"follow-up shorter than {_years(k)} for {short:.0%} of persons: the estimate at {_years(k)} relies "
                f"on the {_n(at_k, 'person')} still followed (and not yet re-victimised) at {_years(k)}"
                + (
                    f"; the naive share {tot['naive']:.1%} (re-victimised within {_years(k)} ÷ persons) counts the "
                    f"{_n(int(tot['censored']), 'person')} censored earlier as not re-victimised, against the "
                    f"Kaplan–Meier {tot['cumulative']:.1%}"
                    if np.isfinite(tot["cumulative"]) else ""
                )
            )
    if not_estimable:
        notes.append(
            "not estimable (nobody followed that long; shown as empty, not as a number): " + "; ".join(not_estimable)
        )
    if no_events:
        notes.append("no re-victimisation within k years (0%, no log(-log) interval): " + "; ".join(no_events))
    if few:
        notes.append(f"fewer than {FEW_AT_RISK} persons at risk at k years, the estimate is unstable: " + "; ".join(few))
    settings = {
        "k_years": ks, "level": level, "end_of_followup": data.end_text, "covariates": list(data.covariates),
        "offences": list(data.offences), "persons": n, "later_victimisations": int(data.person.size),
        "id_col": id_col, "date_col": date_col, "later_date_col": later_date_col, "offence_col": offence_col,
    }
    return RevictimisationResult(table, curve, first_offence, notes, settings)


# ----------------------------------------------------------------------------------------------------------------------
# synthetic data with a known truth

# covariate -> level -> (share of persons, hazard ratio of re-victimisation)
DEFAULT_SUBGROUPS: dict[str, dict[str, tuple[float, float]]] = {
    "sex": {"female": (0.7, 1.0), "male": (0.3, 0.7)},
    "exploitation": {"sexual": (0.55, 1.0), "labour": (0.3, 0.6), "criminal": (0.15, 1.6)},
}
# kind of later offence -> share of the hazard of any later victimisation
DEFAULT_OFFENCES: dict[str, float] = {"violence": 0.5, "sexual offence": 0.3, "property": 0.2}


@dataclass
class SimulatedRevictimisation:
    """Synthetic registers with known re-victimisation shares.

    Attributes
    ----------
    victims : DataFrame
        ``person_id, first_registration`` (YYYY-MM-DD text) and the covariates.
    later : DataFrame
        ``person_id, date, offence``: every observed later victimisation, including some on
        or before first registration (which must not count) and repeats.
    truth : DataFrame
        ``group, level, offence, k_years, truth``: the true marginal cumulative incidence
        P(T <= k) of each row of :attr:`RevictimisationResult.table`.
    first_offence_truth : DataFrame
        ``group, level, offence, k_years, truth``: the true cumulative incidence of a first
        later offence of each kind (competing risks).
    end_of_followup : str
    """

    victims: pd.DataFrame
    later: pd.DataFrame
    truth: pd.DataFrame
    first_offence_truth: pd.DataFrame
    end_of_followup: str

    def write(self, out: str | Path) -> list[Path]:
        """Write ``victims.csv``, ``later.csv`` and ``truth.csv`` into folder `out`."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        files = [out / "victims.csv", out / "later.csv", out / "truth.csv"]
        self.victims.to_csv(files[0], index=False)
        self.later.to_csv(files[1], index=False)
        self.truth.to_csv(files[2], index=False)
        return files


def simulate_revictimisation(
    n: int,
    *,
    cumulative_5y: float = 0.45,
    shape: float = 0.8,
    offences: Mapping[str, float] | None = None,
    subgroups: Mapping[str, Mapping[str, tuple[float, float]]] | None = None,
    entry_years: float = 8.0,
    end_of_followup: str = "2024-12-31",
    k_years: Sequence[float] = (1, 3, 5),
    repeat_probability: float = 0.4,
    earlier_probability: float = 0.3,
    seed: int | np.random.SeedSequence | None = None,
) -> SimulatedRevictimisation:
    """Simulate a victim register and a later-victimisation register with a known truth.

    Model: person i with covariate levels has hazard ratio r_i (product of the levels'
    ratios). The time to the first later offence of kind j is Weibull with cumulative hazard
    H_ij(t) = w_j r_i H5 (t/5)^shape (w_j the kind's share, sum w = 1), independent over
    kinds; so the time to any later offence has H_i(t) = r_i H5 (t/5)^shape. H5 is solved so
    that the share re-victimised within 5 years over the population is `cumulative_5y`
    (45% in the Dutch monitor). First registrations are uniform over the `entry_years`
    before `end_of_followup` (staggered entry: persons registered late are censored
    before 5 years), and only victimisations up to that date are in the later register.
    Noise that the estimator must ignore: repeats (a second offence of the same kind with
    probability `repeat_probability`) and, with probability `earlier_probability`, a
    victimisation on or before the day of first registration.

    Truths: kind j (marginal) F_j(k) = mean_i 1 - exp(-w_j r_i H5 (k/5)^shape); any
    F(k) = mean_i 1 - exp(-r_i H5 (k/5)^shape); first later offence of kind j
    (competing risks) w_j F(k), since every person's cause-specific hazards are
    proportional. Means over persons are exact expectations over the covariate
    distribution (levels independent with the given shares).

    Parameters
    ----------
    n : int
        Persons in the victim register.
    cumulative_5y : float
        The true share re-victimised (any offence) within 5 years, in (0, 1).
    shape : float
        Weibull shape (< 1: risk highest soon after registration).
    offences : mapping kind -> weight, optional
        Default :data:`DEFAULT_OFFENCES`.
    subgroups : mapping covariate -> level -> (share, hazard ratio), optional
        Default :data:`DEFAULT_SUBGROUPS`; ``{}`` for none.
    entry_years : float
        First registrations spread uniformly over this many years before the end.
    end_of_followup : str
        YYYY-MM-DD.
    k_years : sequence of float
        Horizons of the truth tables.
    repeat_probability, earlier_probability : float
    seed : int or SeedSequence, optional

    Returns
    -------
    SimulatedRevictimisation
    """
    from scipy.optimize import brentq

    if not 0 < cumulative_5y < 1:
        raise ValueError(f"cumulative_5y must be in (0, 1) (got {cumulative_5y})")
    rng = np.random.default_rng(seed)
    offences = dict(DEFAULT_OFFENCES if offences is None else offences)
    subgroups = {c: dict(v) for c, v in (DEFAULT_SUBGROUPS if subgroups is None else subgroups).items()}
    kinds = list(offences)
    wts = np.array([offences[k] for k in kinds], dtype=float)
    wts = wts / wts.sum()
    # every combination of levels with its probability and hazard ratio
    covs = list(subgroups)
    combos = list(product(*[list(subgroups[c]) for c in covs])) if covs else [()]
    prob = np.array([np.prod([subgroups[c][lv][0] for c, lv in zip(covs, cb)]) for cb in combos])
    prob = prob / prob.sum()
    ratio = np.array([np.prod([subgroups[c][lv][1] for c, lv in zip(covs, cb)]) for cb in combos])
    h5 = brentq(lambda h: float(prob @ (1 - np.exp(-ratio * h))) - cumulative_5y, 1e-9, 1e3)

    # the population
    ci = rng.choice(len(combos), size=n, p=prob)
    r = ratio[ci]
    end = np.datetime64(end_of_followup, "D").astype(np.int64)
    start = end - np.floor(rng.uniform(0, entry_years, n) * DAYS_PER_YEAR).astype(np.int64)
    # time to first offence of each kind: H(t) = w r h5 (t/5)^shape = E ~ Exp(1)
    ex = rng.exponential(size=(n, len(kinds)))
    tj = 5.0 * (ex / (wts[None, :] * r[:, None] * h5)) ** (1.0 / shape)
    # to whole days after registration, at least one day (a same-day record is not a re-victimisation)
    dj = np.maximum(np.ceil(tj * DAYS_PER_YEAR), 1).astype(np.int64)
    pid = np.array([f"V{i + 1:06d}" for i in range(n)])
    recs_p, recs_d, recs_k = [], [], []
    for j in range(len(kinds)):
        recs_p.append(np.arange(n))
        recs_d.append(start + dj[:, j])
        recs_k.append(np.full(n, j))
        rep = rng.random(n) < repeat_probability
        gap = np.ceil(rng.exponential(DAYS_PER_YEAR, n)).astype(np.int64)
        recs_p.append(np.flatnonzero(rep))
        recs_d.append((start + dj[:, j] + gap)[rep])
        recs_k.append(np.full(int(rep.sum()), j))
    earlier = rng.random(n) < earlier_probability
    recs_p.append(np.flatnonzero(earlier))
    recs_d.append(start[earlier] - rng.integers(0, 3 * 365, int(earlier.sum())))  # 0: the registration day itself
    recs_k.append(rng.integers(0, len(kinds), int(earlier.sum())))
    p_all, d_all, k_all = np.concatenate(recs_p), np.concatenate(recs_d), np.concatenate(recs_k)
    seen = d_all <= end
    order = np.lexsort((d_all[seen], p_all[seen]))
    later = pd.DataFrame({
        "person_id": pid[p_all[seen]][order],
        "date": pd.to_datetime(d_all[seen][order], unit="D").strftime("%Y-%m-%d"),
        "offence": np.array(kinds, dtype=object)[k_all[seen]][order],
    })
    victims = pd.DataFrame({"person_id": pid, "first_registration": pd.to_datetime(start, unit="D").strftime("%Y-%m-%d")})
    for c_i, c in enumerate(covs):
        victims[c] = np.array([cb[c_i] for cb in combos], dtype=object)[ci]

    # truths
    truth, first_truth = [], []
    groups: list[tuple[str, str, np.ndarray]] = [("total", "", np.ones(len(combos), dtype=bool))]
    for c_i, c in enumerate(covs):
        for lv in subgroups[c]:
            groups.append((c, lv, np.array([cb[c_i] == lv for cb in combos])))
    for g, lv, sel in groups:
        p = prob[sel] / prob[sel].sum()
        for k in k_years:
            hk = ratio[sel] * h5 * (k / 5.0) ** shape
            f_any = float(p @ (1 - np.exp(-hk)))
            truth.append((g, lv, ANY, float(k), f_any))
            for j, name in enumerate(kinds):
                truth.append((g, lv, name, float(k), float(p @ (1 - np.exp(-wts[j] * hk)))))
                first_truth.append((g, lv, name, float(k), float(wts[j] * f_any)))
    cols = ["group", "level", "offence", "k_years", "truth"]
    return SimulatedRevictimisation(
        victims, later, pd.DataFrame(truth, columns=cols), pd.DataFrame(first_truth, columns=cols), end_of_followup
    )
