"""Dates of birth that an organisation gives to an implausible share of its registrations: placeholders.

Tester 14a (M3): a file in which every registration carries 1950-02-02 passed without a note, and its dates
were compared as real ones (namesakes on the same "date" looked like one person; every other pair of the file
looked like persons born apart). Dates before 1905 were the only placeholders recognised
(:data:`darkfigure.linkage.prepare.PLACEHOLDER_BEFORE`).

The rule. Within one organisation with ``n`` dated registrations, a date of birth carried by at least
``max(PLACEHOLDER_DATE_MIN, PLACEHOLDER_DATE_SHARE * n)`` *distinct names* (first name and surname, case and
spaces ignored) is a placeholder. Why distinct names and not rows: one person registered many times keeps
their own date; only many different persons on one date point to a default value. Why this bound: honest dates
of birth spread over decades (18,000+ days); even a register of a single birth year spreads over 365 days,
where a date's expected share is 0.27%, so 5% is 18 times that (a Poisson count of mean 0.55 reaching 10 in an
organisation of 200 dated rows: probability about 1e-9). The floor of 10 keeps small organisations (where 5%
is one or two persons) from flagging a pair of twins. Not adopted: a rule relative to the spread of the dates
(a date far more frequent than its birth year's other days): 1 January of the birth year is the official date
of many refugees and migrants (documents without a day), held consistently across organisations and carried
by up to half a birth cohort; such a rule would discard those real, linkable dates. 1 January dates spread
over many birth years never reach 5% of an organisation on one date.

Dates derived from an age (:mod:`.age_dates`: 1 July or 1 January of the registration year minus the age) put one
day-month on every dated registration of an organisation, so one birth year's date easily holds 5% of them (tester
19a: 1999-07-01 on 26 of 397): such a date is no placeholder where its day-month is an age convention of the
organisation over at least :data:`AGE_SPREAD_YEARS` birth years and its distinct names are at most
:data:`AGE_PEAK_RATIO` times the mean of its neighbouring birth years' dates on that day-month (1 and 2 years off):
ages spread smoothly over birth years, while a default date such as 1990-01-01 on 120 names against a few for the
years around it is a spike and stays a placeholder.

Measured: on the bundled synthetic settings (``simulate_registrations``, every scenario, seeds 1-3; they hold
5% of non-EU persons on 1 January, duplicates and errors) and the tester's generator (mild and heavy, 1,200 and
7,000 persons) the rule flags no date; it flags the tester's ``church_nobody.csv`` (1950-02-02 on all 138 rows).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ._content_memo import content_memo
from .date_spikes import SPIKE_P, SPIKE_RATIO, spike_expected, spike_mask

__all__ = ["AGE_PEAK_RATIO", "AGE_SPREAD_YEARS", "PLACEHOLDER_DATE_MIN", "PLACEHOLDER_DATE_SHARE", "frequent_dates",
           "frequent_dates_mask", "frequent_dates_note"]

#: fewest distinct names that must share a date before it can be a placeholder
PLACEHOLDER_DATE_MIN = 10
#: share of an organisation's dated registrations at or above which one date (in distinct names) is a placeholder
PLACEHOLDER_DATE_SHARE = 0.05
#: fewest birth years on an age convention's day-month for its frequent dates to be read as ages, not placeholders
AGE_SPREAD_YEARS = 5
#: most distinct names on such a date, relative to the mean of its neighbouring birth years' on its day-month
AGE_PEAK_RATIO = 4.0


def _per_distinct(values: Sequence, f) -> tuple[np.ndarray, np.ndarray]:
    """``f`` of each distinct value: (codes of shape (n,), results of shape (k + 1,)); ``results[codes]`` is ``f`` of
    each value, the last result (code k) that of a missing value (`f` given None).

    A column of str (and missing values) is factorised; any other is mapped value by value (``pd.factorize`` would
    take 1, 1.0 and True for one value).
    """
    s = pd.Series(values, dtype=object)
    if pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
        return np.arange(len(s)), np.array([*s.map(f), f(None)], dtype=object)
    codes, uniq = pd.factorize(s, use_na_sentinel=True)
    return np.where(codes < 0, len(uniq), codes), np.array([f(v) for v in uniq] + [f(None)], dtype=object)


def _clean_name(v) -> str:
    """One name cell case-folded without spaces ('' when missing)."""
    return "" if v is None or pd.isna(v) else "".join(str(v).split()).casefold()


@content_memo
def _name_codes(first: Sequence, surname: Sequence) -> np.ndarray:
    """A code of each registration's name for counting distinct persons (-1: no name), shape (n,): equal codes for
    equal ``first|surname`` case-folded with spaces dropped (:func:`_name_of`), each distinct pair built once."""
    fc, fv = _per_distinct(first, _clean_name)
    sc, sv = _per_distinct(surname, _clean_name)
    # distinct raw names can clean to one name ("Ana", "ana "): codes of the cleaned names
    (fk, fv), (sk, sv) = pd.factorize(fv), pd.factorize(sv)
    fc, sc = fk[fc], sk[sc]
    pair, pairs = pd.factorize(fc.astype(np.int64) * len(sv) + sc)
    pf, ps = fv[pairs // len(sv)], sv[pairs % len(sv)]
    blank = (pf == "") & (ps == "")
    if not any("|" in x for x in (*fv, *sv)):
        # without "|" in a name, distinct (first, surname) pairs are distinct texts: the pair is the code
        return np.where(blank[pair], -1, pair)
    text = np.array([None if b else f"{x}|{y}" for x, y, b in zip(pf, ps, blank)], dtype=object)
    code, _ = pd.factorize(text, use_na_sentinel=True)
    return code[pair]


def _name_of(first: Sequence, surname: Sequence) -> np.ndarray:
    """The name of each registration for counting distinct persons: ``first|surname`` case-folded, spaces dropped;
    None where both are empty. Shape (n,)."""
    fc, fv = _per_distinct(first, _clean_name)
    sc, sv = _per_distinct(surname, _clean_name)
    f, s = fv[fc], sv[sc]
    out = (pd.Series(f, dtype=object) + "|" + pd.Series(s, dtype=object)).to_numpy(dtype=object, copy=True)
    out[(f == "") & (s == "")] = None
    return out


@content_memo
def frequent_dates(org: Sequence, dob: Sequence, first: Sequence, surname: Sequence,
                   before: str = "1905-01-01") -> pd.DataFrame:
    """The placeholder dates of birth of each organisation (the rule of this module).

    Parameters
    ----------
    org : organisation of each registration, shape (n,).
    dob : date of birth as ISO text (``""``/None/NaN when missing), shape (n,); dates before `before` are
        placeholders already and neither counted nor flagged here.
    first, surname : the names as written, shape (n,).
    before : the ISO date before which dates of birth are placeholders anyway.

    Returns
    -------
    DataFrame with ``organisation``, ``date_of_birth``, ``names`` (distinct names carrying it), ``rows`` (its
    registrations), ``dated`` (the organisation's dated registrations) and ``expected`` (the distinct names chance
    gives it: :func:`.date_spikes.spike_expected`); one row per placeholder date, most frequent first (empty when
    none).
    """
    cols = ["organisation", "date_of_birth", "names", "rows", "dated", "expected"]
    dc, dv = _per_distinct(dob, lambda v: "" if v is None or pd.isna(v) else str(v)[:10])
    d = dv[dc]
    o = pd.Series(org, dtype=object).astype(str).to_numpy(dtype=object)
    keep = (d != "") & (d >= before)
    if not keep.any():
        return pd.DataFrame(columns=cols)
    # counted on integer codes (a million registrations: the string groupby took seconds): codes in order of first
    # appearance, so the groups come out in the order of ``groupby(sort=False)``
    o_code, o_names = pd.factorize(o[keep])
    d_code, d_names = pd.factorize(d[keep])
    n_code = _name_codes(first, surname)[keep]
    g_code, g_first = pd.factorize(o_code.astype(np.int64) * len(d_names) + d_code)
    rows = np.bincount(g_code)
    named = n_code >= 0
    width = int(n_code.max(initial=0)) + 1
    pairs = pd.unique(g_code[named].astype(np.int64) * width + n_code[named])  # distinct (group, name)
    names = np.bincount(pairs // width, minlength=rows.size)
    dated = np.bincount(o_code)
    g_org = (g_first // len(d_names)).astype(np.int64)
    t = pd.DataFrame({"organisation": o_names[g_org], "date_of_birth": d_names[g_first % len(d_names)],
                      "names": names, "rows": rows, "dated": dated[g_org]})
    # a date far more frequent than the organisation's dates of those years give by chance (date_spikes)
    t["expected"] = spike_expected(t, org, dob, first, surname, PLACEHOLDER_DATE_MIN)
    spike = spike_mask(t["names"].to_numpy(dtype=float), t["expected"].to_numpy(dtype=float))
    bound = np.maximum(PLACEHOLDER_DATE_MIN, PLACEHOLDER_DATE_SHARE * t["dated"].to_numpy(dtype=float))
    share = t["names"].to_numpy(dtype=float) >= bound
    if share.any():
        share[share] = ~_age_years(t[share], org, dob, first, surname)
    t = t[share | spike]
    return t.sort_values("rows", ascending=False, kind="stable")[cols].reset_index(drop=True)


def _age_years(t: pd.DataFrame, org: Sequence, dob: Sequence, first: Sequence, surname: Sequence) -> np.ndarray:
    """Which candidate placeholder dates of `t` are one birth year of an age convention (module docstring), (len(t),).

    `t`: the candidates (``organisation``, ``date_of_birth``, ``names``); the other arguments as
    :func:`frequent_dates`.
    """
    from .age_dates import age_day_months

    conv = age_day_months(org, dob, first, surname)
    out = np.zeros(len(t), dtype=bool)
    if conv.empty:
        return out
    conv_keys = set(conv["organisation"].astype(str) + "\0" + conv["day_month"].astype(str))
    cand = (t["organisation"].astype(str) + "\0" + t["date_of_birth"].str[5:10]).to_numpy()
    if not pd.Index(cand).isin(conv_keys).any():
        return out
    # distinct names per (organisation, date) on the convention's day-months, by birth year
    o = pd.Series(np.asarray(org, dtype=object)).astype(str)
    d = pd.Series(np.asarray(dob, dtype=object)).map(lambda v: "" if v is None or pd.isna(v) else str(v)[:10])
    name = pd.Series(_name_codes(first, surname))
    on = (o + "\0" + d.str[5:10]).isin(conv_keys) & (d.str.len() == 10)
    per = (pd.DataFrame({"o": o[on], "d": d[on], "n": name[on]}).drop_duplicates()
           .groupby(["o", "d"]).size().rename("names").reset_index())
    per["md"] = per["d"].str[5:10]
    per["y"] = pd.to_numeric(per["d"].str[:4], errors="coerce")
    for i, (oo, dd, nn) in enumerate(zip(t["organisation"].astype(str), t["date_of_birth"], t["names"])):
        mine = per[(per["o"] == oo) & (per["md"] == dd[5:10])]
        if (oo + "\0" + dd[5:10]) not in conv_keys or len(mine) < AGE_SPREAD_YEARS:
            continue
        # against the neighbouring birth years (1 and 2 years off; 0 where none): ages spread smoothly over years
        # (heaping on round ages stays within a few times its neighbours), a default date is a spike
        y = int(dd[:4])
        near = mine.set_index("y")["names"].reindex([y - 2, y - 1, y + 1, y + 2]).fillna(0.0)
        out[i] = float(nn) <= AGE_PEAK_RATIO * max(1.0, float(near.mean()))
    return out


def frequent_dates_mask(df: pd.DataFrame) -> np.ndarray:
    """Whether each registration's date of birth is a placeholder by :func:`frequent_dates`, shape (n,) bool.

    Parameters
    ----------
    df : plaintext registrations with ``organisation`` and ``date_of_birth`` (ISO text); ``first_name`` and
        ``surname`` when present (else every dated row counts as its own name).
    """
    return organisation_date_mask(df, frequent_dates, "date_of_birth", slice(None, 10))


def dates_table(frames, finder) -> pd.DataFrame:
    """`finder` (:func:`frequent_dates`, or :func:`darkfigure.linkage.age_dates.age_day_months`) over the frames that
    have ``organisation`` and ``date_of_birth``, concatenated; names when present, else every row its own name.
    An empty DataFrame when no frame has the columns. Shared by the notes and the masks of both modules."""
    frames = [f for f in frames if {"organisation", "date_of_birth"} <= set(f.columns)]
    if not frames:
        return pd.DataFrame()
    df = pd.concat([f[[c for c in ("organisation", "date_of_birth", "first_name", "surname") if c in f.columns]]
                    for f in frames], ignore_index=True)
    first = df["first_name"] if "first_name" in df else pd.Series(np.arange(len(df)).astype(str), dtype=object)
    last = df["surname"] if "surname" in df else pd.Series([""] * len(df), dtype=object)
    return finder(df["organisation"].to_numpy(), df["date_of_birth"].to_numpy(), first.to_numpy(), last.to_numpy())


def organisation_date_mask(df: pd.DataFrame, finder, column: str, part: slice) -> np.ndarray:
    """Whether each registration's date of birth is listed for its organisation by `finder`, shape (n,) bool.

    Shared by :func:`frequent_dates_mask` and :func:`darkfigure.linkage.age_dates.age_derived_mask`. `finder` is
    called as ``finder(organisations, dates, first_names, surnames)`` and returns a frame with ``organisation`` and
    `column`; a registration matches when ``date_of_birth[part]`` (its ISO text sliced) equals `column` in a row of
    its organisation. Without names, every dated row counts as its own name.
    """
    if "date_of_birth" not in df.columns or "organisation" not in df.columns or df.empty:
        return np.zeros(len(df), dtype=bool)
    t = dates_table([df], finder)
    if t.empty:
        return np.zeros(len(df), dtype=bool)
    key = df["organisation"].astype(str) + "\0" + df["date_of_birth"].astype(str).str[part]
    return key.isin(set(t["organisation"] + "\0" + t[column])).to_numpy()


def frequent_dates_note(frames) -> list[str]:
    """A note naming, per organisation, each date of birth read as a placeholder (:func:`frequent_dates`).

    Parameters
    ----------
    frames : validated plaintext registration frames (``organisation``, ``date_of_birth`` as ISO text, names).

    Returns
    -------
    list of str (empty, or one note)
    """
    t = dates_table(frames, frequent_dates)
    if t.empty:
        return []
    parts = [f"{r.organisation!r}: {r.date_of_birth} on {r.rows:,} of its {r.dated:,} dated registrations "
             f"({r.rows / r.dated:.0%}, {r.names:,} different names"
             + (f", {r.expected:.1f} expected from its dates of those years" if np.isfinite(r.expected) else "") + ")"
             for r in t.itertuples(index=False)]
    return [f"dates of birth given to an implausible share of one organisation's registrations (at least "
            f"{PLACEHOLDER_DATE_MIN} different names, and {PLACEHOLDER_DATE_SHARE:.0%} of its dated registrations or "
            f"{SPIKE_RATIO:g} times the different names its other dates of those birth years give a date, a chance "
            f"below {SPIKE_P:g}) are read as placeholders for an unknown date and compared as missing: "
            f"{'; '.join(parts)}. If these dates are real, check the export of that organisation"]
