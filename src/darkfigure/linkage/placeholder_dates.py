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

Measured: on the bundled synthetic settings (``simulate_registrations``, every scenario, seeds 1-3; they hold
5% of non-EU persons on 1 January, duplicates and errors) and the tester's generator (mild and heavy, 1,200 and
7,000 persons) the rule flags no date; it flags the tester's ``church_nobody.csv`` (1950-02-02 on all 138 rows).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["PLACEHOLDER_DATE_MIN", "PLACEHOLDER_DATE_SHARE", "frequent_dates", "frequent_dates_mask",
           "frequent_dates_note"]

#: fewest distinct names that must share a date before it can be a placeholder
PLACEHOLDER_DATE_MIN = 10
#: share of an organisation's dated registrations at or above which one date (in distinct names) is a placeholder
PLACEHOLDER_DATE_SHARE = 0.05


def _name_of(first: Sequence, surname: Sequence) -> np.ndarray:
    """The name of each registration for counting distinct persons: ``first|surname`` case-folded, spaces dropped;
    None where both are empty. Shape (n,)."""
    def clean(v):
        """One name cell case-folded without spaces ('' when missing)."""
        return "" if pd.isna(v) else "".join(str(v).split()).casefold()

    f = pd.Series(first, dtype=object).map(clean)
    s = pd.Series(surname, dtype=object).map(clean)
    out = (f + "|" + s).to_numpy(dtype=object)
    out[(f == "").to_numpy() & (s == "").to_numpy()] = None
    return out


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
    registrations) and ``dated`` (the organisation's dated registrations); one row per placeholder date, most
    frequent first (empty when none).
    """
    d = pd.Series(dob, dtype=object).map(lambda v: "" if pd.isna(v) else str(v)[:10])
    frame = pd.DataFrame({"organisation": pd.Series(org, dtype=object).astype(str).to_numpy(),
                          "date_of_birth": d.to_numpy(dtype=object), "name": _name_of(first, surname)})
    frame = frame[(frame["date_of_birth"] != "") & (frame["date_of_birth"] >= before)]
    cols = ["organisation", "date_of_birth", "names", "rows", "dated"]
    if frame.empty:
        return pd.DataFrame(columns=cols)
    dated = frame.groupby("organisation", sort=False).size().rename("dated")
    g = frame.groupby(["organisation", "date_of_birth"], sort=False)
    t = pd.concat([g["name"].nunique(dropna=True).rename("names"), g.size().rename("rows")], axis=1).reset_index()
    t = t.join(dated, on="organisation")
    bound = np.maximum(PLACEHOLDER_DATE_MIN, PLACEHOLDER_DATE_SHARE * t["dated"].to_numpy(dtype=float))
    t = t[t["names"].to_numpy(dtype=float) >= bound]
    return t.sort_values("rows", ascending=False, kind="stable")[cols].reset_index(drop=True)


def frequent_dates_mask(df: pd.DataFrame) -> np.ndarray:
    """Whether each registration's date of birth is a placeholder by :func:`frequent_dates`, shape (n,) bool.

    Parameters
    ----------
    df : plaintext registrations with ``organisation`` and ``date_of_birth`` (ISO text); ``first_name`` and
        ``surname`` when present (else every dated row counts as its own name).
    """
    if "date_of_birth" not in df.columns or "organisation" not in df.columns or df.empty:
        return np.zeros(len(df), dtype=bool)
    first = df["first_name"] if "first_name" in df else pd.Series(np.arange(len(df)).astype(str), dtype=object)
    last = df["surname"] if "surname" in df else pd.Series([""] * len(df), dtype=object)
    t = frequent_dates(df["organisation"].to_numpy(), df["date_of_birth"].to_numpy(), first.to_numpy(),
                       last.to_numpy())
    if t.empty:
        return np.zeros(len(df), dtype=bool)
    key = df["organisation"].astype(str) + "\0" + df["date_of_birth"].astype(str).str[:10]
    return key.isin(set(t["organisation"] + "\0" + t["date_of_birth"])).to_numpy()


def frequent_dates_note(frames) -> list[str]:
    """A note naming, per organisation, each date of birth read as a placeholder (:func:`frequent_dates`).

    Parameters
    ----------
    frames : validated plaintext registration frames (``organisation``, ``date_of_birth`` as ISO text, names).

    Returns
    -------
    list of str (empty, or one note)
    """
    frames = [f for f in frames if {"organisation", "date_of_birth"} <= set(f.columns)]
    if not frames:
        return []
    df = pd.concat([f[[c for c in ("organisation", "date_of_birth", "first_name", "surname") if c in f.columns]]
                    for f in frames], ignore_index=True)
    first = df["first_name"] if "first_name" in df else pd.Series(np.arange(len(df)).astype(str), dtype=object)
    last = df["surname"] if "surname" in df else pd.Series([""] * len(df), dtype=object)
    t = frequent_dates(df["organisation"].to_numpy(), df["date_of_birth"].to_numpy(), first.to_numpy(),
                       last.to_numpy())
    if t.empty:
        return []
    parts = [f"{r.organisation!r}: {r.date_of_birth} on {r.rows:,} of its {r.dated:,} dated registrations "
             f"({r.rows / r.dated:.0%}, {r.names:,} different names)" for r in t.itertuples(index=False)]
    return [f"dates of birth given to an implausible share of one organisation's registrations (at least "
            f"{PLACEHOLDER_DATE_MIN} different names and {PLACEHOLDER_DATE_SHARE:.0%} of its dated registrations) "
            f"are read as placeholders for an unknown date and compared as missing: {'; '.join(parts)}. If these "
            "dates are real, check the export of that organisation"]
