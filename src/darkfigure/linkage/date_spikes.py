"""Dates of birth carried by far more persons of one organisation than its spread of dates gives by chance.

Tester 20a (M3): the police wrote ``1990-01-01`` for three whole groups (65 registrations, 59 persons with
different names) among 1,255 dated registrations. The placeholder rule of :mod:`.placeholder_dates` needs a date on
5% of an organisation's dated registrations (63 names there, 60 on the date), so the date passed; 1 January being an
age convention of the police, it was compared by year, and the members of the three groups were linked to each
other (false-link pairs within a group 12 -> 154, precision 0.959 -> 0.898).

The rule (a spike, any day of the year). Each date ``d`` (year ``y``, day-month ``md``) of organisation ``o`` carried
by ``k >= PLACEHOLDER_DATE_MIN`` distinct names is tested against the count chance gives it, measured on the
organisation's own dates (a person is a distinct name on a date, as the placeholder rule counts them):

- where ``md`` is an age convention of ``o`` (:func:`.age_dates.age_day_months`) over at least
  :data:`~.placeholder_dates.AGE_SPREAD_YEARS` birth years: the mean of the distinct names on ``md`` in the birth
  years 1 and 2 before, or after, whichever is higher (at least 1): ages spread smoothly over birth years, a default
  date is a spike above both sides;
- otherwise: the persons of ``o`` born in ``y - 2 .. y`` or ``y .. y + 2`` (the busier) on other days (day-months
  that are no age convention of ``o``, ``d`` itself left out) per such day.

The busier side, not both: at the edge of an organisation's ages (adults only, a youngest age) the birth years beyond
are empty, and a mean over both sides would halve the expected count of the edge year.

``d`` is a placeholder when ``k`` is at least :data:`SPIKE_RATIO` times that expected count and its Poisson upper
tail is below :data:`SPIKE_P`. Why these bounds: honest birthdays are Poisson-like around their density (seasons and
weekdays move it by tens of per cent, not fourfold), so the ratio keeps large registers (45 persons a day over a
million registrations) from flagging an ordinary busy day, and the tail bound of 1e-9 keeps the family-wise error
below 1e-3 over a million (organisation, date) cells; with an expected count of 1 it needs 13 different names, so
twins, triplets and a few persons sharing a date in a large register never qualify. 1 January dates of an age
convention spread over many birth years stay age-derived dates (compared by their year), as do the heaps on round
ages, which stay within a few times their neighbouring years.

Measured: no spike on the bundled synthetic settings (``simulate_registrations``, every setting, seeds 1-3) nor on
tester 19a's populations (1 July of registration year minus age at one organisation) or tester 20a's (1 January or
1 July of an estimated birth year at every organisation, whole groups undocumented); it flags tester 20a's H1a
(1990-01-01 on 60 names at the police against 3.5 expected).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["SPIKE_P", "SPIKE_RATIO", "SPIKE_WINDOW", "spike_expected", "spike_mask"]

#: Poisson upper-tail probability below which a date's distinct names are a spike
SPIKE_P = 1e-9
#: least ratio of a spike's distinct names to the count expected by chance
SPIKE_RATIO = 4.0
#: separator of the (organisation, day-month) keys
SEP = "\x1f"
#: birth years either side of a date whose other days give its expected count (when its day-month is no convention)
SPIKE_WINDOW = 2


def spike_expected(t: pd.DataFrame, org: Sequence, dob: Sequence, first: Sequence, surname: Sequence,
                   min_names: int) -> np.ndarray:
    """The count of distinct names chance gives each date of `t`, NaN where the date is not tested, shape (len(t),).

    Parameters
    ----------
    t : every (organisation, date) of the registrations: ``organisation``, ``date_of_birth`` (ISO ``YYYY-MM-DD``),
        ``names`` (distinct names on it), as built in :func:`.placeholder_dates.frequent_dates`.
    org, dob, first, surname : the registrations (shape (n,)), for the age conventions
        (:func:`.age_dates.age_day_months`).
    min_names : fewest distinct names a tested date carries (fewer: NaN).

    Returns
    -------
    float array: the expected distinct names of each tested date (module docstring); a date is a spike where its
    names are at least :data:`SPIKE_RATIO` times it with a Poisson tail below :data:`SPIKE_P`
    (:func:`spike_mask`).
    """
    from .age_dates import age_day_months
    from .placeholder_dates import AGE_SPREAD_YEARS

    out = np.full(len(t), np.nan)
    d = t["date_of_birth"].astype(str)
    cand = (t["names"].to_numpy(dtype=float) >= min_names) & (d.str.len() == 10).to_numpy()
    if not cand.any():
        return out
    o = t["organisation"].astype(str).to_numpy(dtype=object)
    md = d.str[5:10].to_numpy(dtype=object)
    y = pd.to_numeric(d.str[:4], errors="coerce").to_numpy(dtype=float)
    names = t["names"].to_numpy(dtype=float)
    conv = age_day_months(org, dob, first, surname)
    conv_keys = set(conv["organisation"].astype(str) + SEP + conv["day_month"].astype(str))
    # keys joined with the unit separator, not NUL: NumPy reads a "\0" scalar as "" (it strips trailing NULs)
    key = pd.Series(o + SEP + md)
    on_conv = key.isin(conv_keys).to_numpy()
    n_conv = pd.Series(list(conv_keys)).str.split(SEP).str[0].value_counts() if conv_keys else pd.Series(dtype=int)
    # persons per (organisation, birth year) on days that are no convention of the organisation
    base = pd.DataFrame({"o": o[~on_conv], "y": y[~on_conv], "n": names[~on_conv]}).groupby(["o", "y"])["n"].sum()
    per_md = pd.DataFrame({"k": key[on_conv].to_numpy(), "y": y[on_conv], "n": names[on_conv]})
    years_on = per_md.groupby("k").size()
    per_md = per_md.set_index(["k", "y"])["n"]
    idx = np.flatnonzero(cand & np.isfinite(y))
    oi, ki, yi = o[idx], key.to_numpy(dtype=object)[idx], y[idx]

    def at(table: pd.Series, first: np.ndarray, shift: int) -> np.ndarray:
        """`table` (indexed by (first, year)) at each candidate's year + shift, 0 where absent (vectorised: a
        million registrations give tens of thousands of candidate dates)."""
        return table.reindex(pd.MultiIndex.from_arrays([first, yi + shift])).fillna(0.0).to_numpy(dtype=float)

    # the busier side (earlier or later birth years): at the edge of an organisation's ages (adults only, a
    # youngest age) the years beyond are empty, and a symmetric mean would halve the expected count
    conv_i = on_conv[idx] & (years_on.reindex(ki).fillna(0).to_numpy() >= AGE_SPREAD_YEARS)
    if len(per_md):
        before = (at(per_md, ki, -2) + at(per_md, ki, -1)) / 2
        after = (at(per_md, ki, 1) + at(per_md, ki, 2)) / 2
        near = np.maximum(1.0, np.maximum(before, after))
    else:
        near = np.ones(idx.size)
    own = np.where(on_conv[idx], 0.0, names[idx])
    lo = sum(at(base, oi, s) for s in range(-SPIKE_WINDOW, 1)) - own
    hi = sum(at(base, oi, s) for s in range(0, SPIKE_WINDOW + 1)) - own
    year_days = 365.25 - n_conv.reindex(oi).fillna(0).to_numpy(dtype=float)
    # the birth year itself too: an organisation whose persons are all born in one year (a cohort) has empty
    # neighbouring years, and the windows alone read a third of its daily rate (review s20 L1)
    same = np.maximum(0.0, at(base, oi, 0) - own) / year_days
    out[idx] = np.where(conv_i, near, np.maximum(np.maximum(0.0, np.maximum(lo, hi)) / ((SPIKE_WINDOW + 1) * year_days),
                                                 same))
    return out


def spike_mask(names: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """Which dates are spikes: names at least :data:`SPIKE_RATIO` times `expected` and a Poisson upper tail below
    :data:`SPIKE_P` (shape of `names`; False where `expected` is NaN)."""
    from .age_dates import _poisson_sf

    names, expected = np.asarray(names, float), np.asarray(expected, float)
    tested = np.isfinite(expected)
    out = np.zeros(names.shape, dtype=bool)
    if tested.any():
        n, mu = names[tested], expected[tested]
        # a date with nobody else born around it: any count is a spike (a Poisson of mean 0 has no tail)
        out[tested] = (n >= SPIKE_RATIO * mu) & (_poisson_sf(n, np.maximum(mu, 1e-12)) < SPIKE_P)
    return out
